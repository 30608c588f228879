import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/database.js';
import type { GraphQLResponse } from '../helpers/graphql.js';
import { bearer, gql, SIGN_IN, signUpUser } from '../helpers/graphql.js';
import type { SignedInUser } from '../helpers/graphql.js';
import {
  BEGIN,
  codeAt,
  CONFIRM,
  DISABLE,
  enrolledUser,
  REGENERATE,
  withinOneStep,
  wrongCode,
} from '../helpers/mfa.js';
import { useServer } from '../helpers/use-server.js';

const REAUTHENTICATE = `mutation($password: String, $code: String) {
  reauthenticate(password: $password, code: $code) {
    __typename
    ... on Reauthenticated { accessToken accessTokenExpiresAt authTime }
    ... on TooManyAttempts { retryAfterSeconds }
    ... on UserError { code message }
  }
}`;
const CHANGE_PASSWORD = `mutation($current: String!, $next: String!) {
  changePassword(currentPassword: $current, newPassword: $next, signOutOtherSessions: false) {
    __typename ... on PasswordChanged { signedOutSessions } ... on StepUpRequired { code maxAgeSeconds }
  }
}`;
const SIGN_OUT_EVERYWHERE = `mutation { signOutEverywhere }`;

/**
 * The contract's non-union mutations (beginTotpEnrollment, disableTotp, signOutEverywhere) answer a
 * stale session with the top-level error STEP_UP_REQUIRED: seen here in the union member's shape.
 */
function asResult(response: GraphQLResponse<Record<string, any>>, field: string, success: string) {
  const error = response.body.errors?.[0];
  if (error?.extensions?.code === 'STEP_UP_REQUIRED') {
    return {
      __typename: 'StepUpRequired',
      code: 'STEP_UP_REQUIRED',
      maxAgeSeconds: error.extensions.maxAgeSeconds,
    };
  }
  const value = response.body.data?.[field];
  if (value === null || value === undefined || value === false) return { __typename: 'Refused', value };
  return { __typename: success, ...(typeof value === 'object' ? value : { value }) };
}
const REFRESH = `mutation($t: String!) { refreshSession(refreshToken: $t) {
  __typename ... on SignInSuccess { tokens { accessToken } }
} }`;

function claims(accessToken: string): { sid: string; auth_time: number } {
  return JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8'));
}

describe.each(BACKENDS)('step-up: sensitive changes need a recent authentication (%s)', (backend) => {
  const ctx = useServer(backend);

  /** The session last authenticated `seconds` ago (what a stolen or long-lived token looks like). */
  async function ageSession(accessToken: string, seconds = 600): Promise<void> {
    const em = ctx.server.app.services.orm.em.fork();
    // A raw statement binds dates as the backend stores them (SQLite: epoch milliseconds).
    const at = em.getPlatform().processDateProperty(new Date(Date.now() - seconds * 1000));
    await em
      .getConnection()
      .execute(
        'update sessions set created_at = ?, authenticated_at = ? where id = ?',
        [at, at, claims(accessToken).sid],
        'run',
      );
  }

  async function reauthenticate(accessToken: string, proof: { password?: string; code?: string }) {
    return (await gql(ctx.server.url, REAUTHENTICATE, proof, bearer(accessToken))).body.data?.reauthenticate;
  }

  /** Each listed mutation: StepUpRequired with a stale session, then the real answer after reauthenticate. */
  async function expectStepUp(
    user: SignedInUser,
    run: (accessToken: string) => Promise<{ __typename: string; code?: string; maxAgeSeconds?: number }>,
    success: string,
  ): Promise<string> {
    await ageSession(user.accessToken);
    const refused = await run(user.accessToken);
    expect(refused).toMatchObject({
      __typename: 'StepUpRequired',
      code: 'STEP_UP_REQUIRED',
      maxAgeSeconds: 300,
    });
    const again = await reauthenticate(user.accessToken, { password: user.password });
    expect(again.__typename).toBe('Reauthenticated');
    const done = await run(again.accessToken);
    expect(done.__typename).toBe(success);
    return again.accessToken as string;
  }

  it('answers StepUpRequired from every listed mutation with an old authentication, and runs it after reauthenticate', async () => {
    await withinOneStep(20);
    const user = await signUpUser(ctx.server.url);
    let secret = '';
    user.accessToken = await expectStepUp(
      user,
      async (token) => {
        const result = asResult(
          await gql(ctx.server.url, BEGIN, {}, bearer(token)),
          'beginTotpEnrollment',
          'TotpEnrollment',
        );
        if (result.__typename === 'TotpEnrollment') secret = (result as { secret: string }).secret;
        return result;
      },
      'TotpEnrollment',
    );
    let codes: string[] = [];
    user.accessToken = await expectStepUp(
      user,
      async (token) => {
        const result = (await gql(ctx.server.url, CONFIRM, { code: codeAt(secret, -30) }, bearer(token))).body
          .data?.confirmTotpEnrollment;
        if (result.__typename === 'RecoveryCodes') codes = result.codes;
        return result;
      },
      'RecoveryCodes',
    );
    user.accessToken = await expectStepUp(
      user,
      async (token) =>
        (await gql(ctx.server.url, REGENERATE, { code: codes[0] }, bearer(token))).body.data
          ?.regenerateRecoveryCodes,
      'RecoveryCodes',
    );
    user.accessToken = await expectStepUp(
      user,
      async (token) =>
        asResult(
          await gql(ctx.server.url, DISABLE, { code: codeAt(secret) }, bearer(token)),
          'disableTotp',
          'Disabled',
        ),
      'Disabled',
    );
    const next = 'a changed passphrase for step up 9';
    user.accessToken = await expectStepUp(
      user,
      async (token) =>
        (await gql(ctx.server.url, CHANGE_PASSWORD, { current: user.password, next }, bearer(token))).body
          .data?.changePassword,
      'PasswordChanged',
    );
    user.password = next;
    await expectStepUp(
      user,
      async (token) =>
        asResult(
          await gql(ctx.server.url, SIGN_OUT_EVERYWHERE, {}, bearer(token)),
          'signOutEverywhere',
          'SignedOut',
        ),
      'SignedOut',
    );
  });

  it('puts the new auth_time in a token a generic JWT library verifies, and a refresh keeps it', async () => {
    const user = await signUpUser(ctx.server.url);
    const jwks = createRemoteJWKSet(new URL(`${ctx.server.url}/.well-known/jwks.json`));
    const signedIn = await jwtVerify(user.accessToken, jwks, { audience: 'plinto' });
    await ageSession(user.accessToken);
    const before = Math.floor(Date.now() / 1000);
    const again = await reauthenticate(user.accessToken, { password: user.password });
    expect(again.__typename).toBe('Reauthenticated');
    const { payload } = await jwtVerify(again.accessToken, jwks, { audience: 'plinto' });
    expect(payload.auth_time).toBe(Math.floor(new Date(again.authTime).getTime() / 1000));
    expect(payload.auth_time).toBeGreaterThanOrEqual(before);
    expect(payload.sid).toBe(signedIn.payload.sid);
    // A refresh is no authentication: it carries the reauthentication's time, not the refresh's.
    const refreshed = (await gql(ctx.server.url, REFRESH, { t: user.refreshToken })).body.data
      ?.refreshSession;
    expect(refreshed.__typename).toBe('SignInSuccess');
    expect(
      (await jwtVerify(refreshed.tokens.accessToken, jwks, { audience: 'plinto' })).payload.auth_time,
    ).toBe(payload.auth_time);
  });

  it('counts wrong reauthenticate answers in the sign-in failure counter: no guessing oracle', async () => {
    const user = await signUpUser(ctx.server.url);
    for (let i = 0; i < 5; i += 1) {
      expect(
        (await reauthenticate(user.accessToken, { password: `wrong guess number ${i}` })).__typename,
      ).toBe('InvalidCredentials');
    }
    const locked = await reauthenticate(user.accessToken, { password: user.password });
    expect(locked).toMatchObject({ __typename: 'TooManyAttempts', code: 'TOO_MANY_ATTEMPTS' });
    expect(locked.retryAfterSeconds).toBeGreaterThan(0);
    // The same counter gates the password sign-in: the guesses were not free.
    const signIn = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    expect(signIn.body.data?.signIn.__typename).toBe('TooManyAttempts');
  });

  it('accepts a TOTP or recovery code from a user with a second factor, and refuses a wrong one', async () => {
    await withinOneStep();
    const user = await enrolledUser(ctx.server.url);
    await ageSession(user.accessToken);
    expect((await reauthenticate(user.accessToken, { code: wrongCode(user.secret) })).__typename).toBe(
      'InvalidMfaCode',
    );
    const byCode = await reauthenticate(user.accessToken, { code: codeAt(user.secret) });
    expect(byCode.__typename).toBe('Reauthenticated');
    await ageSession(byCode.accessToken);
    const byRecovery = await reauthenticate(byCode.accessToken, { code: user.recoveryCodes[0] });
    expect(byRecovery.__typename).toBe('Reauthenticated');
    // Exactly one proof: both or neither is a bad request, not a guess.
    const both = await gql(
      ctx.server.url,
      REAUTHENTICATE,
      { password: user.password, code: '123456' },
      bearer(byRecovery.accessToken),
    );
    expect(both.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('never counts a locked second-factor check as a proof: any code after 10 wrong ones is refused', async () => {
    const user = await enrolledUser(ctx.server.url);
    // Ten wrong codes through disableTotp lock the factor check (the per-user cap, 10 in a row).
    for (let i = 0; i < 10; i++) {
      const wrong = await gql(
        ctx.server.url,
        DISABLE,
        { code: wrongCode(user.secret) },
        bearer(user.accessToken),
      );
      expect(wrong.body.data?.disableTotp).toBe(false);
    }
    // A locked check is neither a wrong nor a right code: reauthenticate must not take it as proven.
    const garbage = await reauthenticate(user.accessToken, { code: '000000' });
    expect(garbage.__typename).toBe('InvalidMfaCode');
    const right = await reauthenticate(user.accessToken, { code: codeAt(user.secret) });
    expect(right.__typename).toBe('InvalidMfaCode');
  });
});
