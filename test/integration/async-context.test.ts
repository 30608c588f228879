import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { bearer, gql, ME, REFRESH, SIGN_IN, SIGN_UP, STRONG_PASSWORD } from '../helpers/graphql.js';
import { BACKENDS } from '../helpers/database.js';
import { useServer } from '../helpers/use-server.js';

/**
 * On Node 20 the first AsyncLocalStorage.run() turns promise hooks on for the rest of the process,
 * a cost on every request after (bench/). MikroORM enters one in its unit-of-work flush,
 * em.transactional and findAndCount; the server avoids all three. Recorded here: every entry into
 * an AsyncLocalStorage that comes from MikroORM, while the server starts and serves the flows.
 */
const entries: string[] = [];
for (const method of ['run', 'enterWith'] as const) {
  const original = AsyncLocalStorage.prototype[method] as (...args: unknown[]) => unknown;
  (AsyncLocalStorage.prototype as unknown as Record<string, unknown>)[method] = function (
    this: AsyncLocalStorage<unknown>,
    ...args: unknown[]
  ) {
    const stack = new Error().stack ?? '';
    if (stack.includes('@mikro-orm')) entries.push(stack.split('\n').slice(1, 6).join('\n'));
    return original.apply(this, args);
  };
}

const CHANGE_PASSWORD = `mutation($c: String!, $n: String!) {
  changePassword(currentPassword: $c, newPassword: $n) { __typename }
}`;

describe.each(BACKENDS)('MikroORM async context (%s)', (backend) => {
  // Started after the patch above: a signing key is created on this fresh database, as in production.
  const ctx = useServer(backend);

  it('is never entered: not at start, not by sign-up, sign-in, refresh, me or a password change', async () => {
    const email = `context-${backend}@example.com`;
    const signUp = await gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    expect(signUp.body.data?.signUp.__typename).toBe('SignInSuccess');
    const signIn = await gql(ctx.server.url, SIGN_IN, { email, password: STRONG_PASSWORD });
    const { accessToken, refreshToken } = signIn.body.data?.signIn.tokens as {
      accessToken: string;
      refreshToken: string;
    };
    // Two at once: one rotates, the other takes the grace path (which reads the session entity).
    const refreshes = await Promise.all([
      gql(ctx.server.url, REFRESH, { refreshToken }),
      gql(ctx.server.url, REFRESH, { refreshToken }),
    ]);
    expect(refreshes.map((r) => r.body.data?.refreshSession.__typename)).toEqual([
      'SignInSuccess',
      'SignInSuccess',
    ]);
    expect((await gql(ctx.server.url, ME, {}, bearer(accessToken))).body.data?.me.email).toBe(email);
    const changed = await gql(
      ctx.server.url,
      CHANGE_PASSWORD,
      { c: STRONG_PASSWORD, n: `${STRONG_PASSWORD} again` },
      bearer(accessToken),
    );
    expect(changed.body.data?.changePassword.__typename).toBe('PasswordChanged');

    expect(entries, entries.join('\n\n')).toEqual([]);
  });
});
