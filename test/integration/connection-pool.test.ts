import { describe, expect, it } from 'vitest';
import { bearer, gql, ME, REFRESH, SIGN_IN, SIGN_UP, STRONG_PASSWORD } from '../helpers/graphql.js';
import { useServer } from '../helpers/use-server.js';

const CHANGE_PASSWORD = `mutation($c: String!, $n: String!) {
  changePassword(currentPassword: $c, newPassword: $n, signOutOtherSessions: true) {
    __typename ... on PasswordChanged { signedOutSessions }
  }
}`;

const keysGoStale = () => new Promise((resolve) => setTimeout(resolve, 1_100));

/**
 * A flow that holds a pooled connection in a transaction and then waits for a second one
 * deadlocks the pool once every connection is held that way (seen in bench/: concurrent refreshes
 * at the moment the signing keys were re-read). With a pool of ONE connection any such flow
 * fails here at once (the acquire times out), however light the load.
 */
describe('with a single pooled database connection', () => {
  const ctx = useServer('postgresql', { DATABASE_POOL_MAX: '1', SIGNING_KEY_RELOAD_SECONDS: '1' });
  const email = 'pool@example.com';

  it('signs up, signs in and rotates refresh tokens concurrently while the signing keys are re-read', async () => {
    const signUp = await gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    expect(signUp.body.data?.signUp.__typename).toBe('SignInSuccess');
    const signIns = await Promise.all(
      Array.from({ length: 5 }, () => gql(ctx.server.url, SIGN_IN, { email, password: STRONG_PASSWORD })),
    );
    const refreshTokens = signIns.map((r) => r.body.data?.signIn.tokens?.refreshToken as string);
    expect(refreshTokens.every((t) => typeof t === 'string' && t.length > 20)).toBe(true);

    await keysGoStale();
    const rotated = await Promise.all(
      refreshTokens.map((t) => gql(ctx.server.url, REFRESH, { refreshToken: t })),
    );
    expect(rotated.map((r) => r.body.errors ?? r.body.data?.refreshSession.__typename)).toEqual(
      Array(5).fill('SignInSuccess'),
    );
    const access = rotated[0]!.body.data?.refreshSession.tokens.accessToken as string;
    const me = await gql(ctx.server.url, ME, {}, bearer(access));
    expect(me.body.data?.me.email).toBe(email);
  });

  it('changes a password and signs the other sessions out in one transaction', async () => {
    // Its own account (the tests run in a random order): signed up, then signed in five more times.
    const own = 'pool-change@example.com';
    const signUp = await gql(ctx.server.url, SIGN_UP, { email: own, password: STRONG_PASSWORD });
    expect(signUp.body.data?.signUp.__typename).toBe('SignInSuccess');
    const signIns = await Promise.all(
      Array.from({ length: 5 }, () =>
        gql(ctx.server.url, SIGN_IN, { email: own, password: STRONG_PASSWORD }),
      ),
    );
    const access = signIns[0]!.body.data?.signIn.tokens.accessToken as string;
    await keysGoStale();
    const changed = await gql(
      ctx.server.url,
      CHANGE_PASSWORD,
      { c: STRONG_PASSWORD, n: `${STRONG_PASSWORD} changed` },
      bearer(access),
    );
    expect(changed.body.errors).toBeUndefined();
    expect(changed.body.data?.changePassword.__typename).toBe('PasswordChanged');
    // Its six sessions (the sign-up's and five sign-ins'), all but the one that asked: five.
    expect(changed.body.data?.changePassword.signedOutSessions).toBe(5);
  });
});
