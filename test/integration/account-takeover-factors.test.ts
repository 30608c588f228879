import { describe, expect, it } from 'vitest';
import { CHANGE_PASSWORD } from '../helpers/email-documents.js';
import { bearer, gql, SIGN_IN, signUpUser } from '../helpers/graphql.js';
import { gqlFrom } from '../helpers/local-address.js';
import {
  challengeFor,
  codeAt,
  complete,
  DISABLE,
  enrolledUser,
  REGENERATE,
  withinOneStep,
  wrongCode,
} from '../helpers/mfa.js';
import { useServer } from '../helpers/use-server.js';

const WRONG = 'not the password 123';
/** Another /24 than the test's own 127.0.0.1: a foreign client. */
const ATTACKER_IP = '127.0.5.1';

/** The device cookie a successful sign-in set, as a Cookie header value. */
function deviceCookieOf(headers: Headers): string {
  const cookie = headers.getSetCookie().find((line) => line.startsWith('plinto_device='));
  if (!cookie) throw new Error('no device cookie was set');
  return cookie.split(';')[0]!;
}

/**
 * Account-takeover chains against the second factor and the sign-in lockout (issue 17, part B),
 * each run over HTTP as an attacker would, each refused.
 */
describe('account takeover: factor guessing and aimed lockouts (PostgreSQL + Redis)', () => {
  const ctx = useServer('postgresql');

  async function factorFailures(userId: string): Promise<number> {
    const rows = await ctx.server.app.services.orm.em
      .fork()
      .getConnection()
      .execute('select factor_failures from users where id = ?', [userId]);
    return Number((rows[0] as { factor_failures: number }).factor_failures);
  }

  it('caps TOTP guessing through disableTotp: after 10 wrong codes the right one is refused until a fresh sign-in', async () => {
    await withinOneStep(20);
    const user = await enrolledUser(ctx.server.url);
    const auth = bearer(user.accessToken);
    for (let i = 0; i < 10; i += 1) {
      const wrong = await gql(ctx.server.url, DISABLE, { code: wrongCode(user.secret) }, auth);
      expect(wrong.body.data?.disableTotp).toBe(false);
    }
    // A stolen access token must not buy guesses without end: the right code is refused now.
    const right = await gql(ctx.server.url, DISABLE, { code: codeAt(user.secret) }, auth);
    expect(right.body.data?.disableTotp).toBe(false);
    expect(await factorFailures(user.userId)).toBe(10);
    // The owner signs in afresh (password, then the code): that lifts the 10-in-a-row lock.
    const challenge = await challengeFor(ctx.server.url, user.email, user.password);
    expect((await complete(ctx.server.url, challenge, codeAt(user.secret))).__typename).toBe('SignInSuccess');
    expect(await factorFailures(user.userId)).toBe(0);
  });

  it('caps TOTP guessing through regenerateRecoveryCodes, and counts it together with disableTotp', async () => {
    await withinOneStep(20);
    const user = await enrolledUser(ctx.server.url);
    const auth = bearer(user.accessToken);
    for (let i = 0; i < 5; i += 1) {
      await gql(ctx.server.url, DISABLE, { code: wrongCode(user.secret) }, auth);
      const wrong = await gql(ctx.server.url, REGENERATE, { code: wrongCode(user.secret) }, auth);
      expect(wrong.body.data?.regenerateRecoveryCodes.__typename).toBe('InvalidMfaCode');
    }
    const right = await gql(ctx.server.url, REGENERATE, { code: codeAt(user.secret) }, auth);
    expect(right.body.data?.regenerateRecoveryCodes.__typename).toBe('InvalidMfaCode');
    // A recovery code is a factor check too: refused, and not spent.
    const recovery = await gql(ctx.server.url, REGENERATE, { code: user.recoveryCodes[0]! }, auth);
    expect(recovery.body.data?.regenerateRecoveryCodes.__typename).toBe('InvalidMfaCode');
    const challenge = await challengeFor(ctx.server.url, user.email, user.password);
    expect((await complete(ctx.server.url, challenge, user.recoveryCodes[0]!)).__typename).toBe(
      'SignInSuccess',
    );
  });

  it('counts concurrent guesses atomically: 30 at once claim at most 10 attempts', async () => {
    await withinOneStep(20);
    const user = await enrolledUser(ctx.server.url);
    const auth = bearer(user.accessToken);
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => gql(ctx.server.url, DISABLE, { code: '000000' }, auth)),
    );
    expect(answers.map((answer) => answer.body.data?.disableTotp)).toEqual(Array(30).fill(false));
    const right = await gql(ctx.server.url, DISABLE, { code: codeAt(user.secret) }, auth);
    expect(right.body.data?.disableTotp).toBe(false);
    expect(await factorFailures(user.userId)).toBe(10);
  });

  it('counts wrong current passwords of changePassword as failed sign-ins', async () => {
    const user = await signUpUser(ctx.server.url);
    const auth = bearer(user.accessToken);
    for (let i = 0; i < 5; i += 1) {
      const wrong = await gql(
        ctx.server.url,
        CHANGE_PASSWORD,
        { current: WRONG, next: 'a new passphrase 99' },
        auth,
      );
      expect(wrong.body.data?.changePassword.__typename).toBe('InvalidCredentials');
    }
    // The same client is locked for sign-in, and changePassword stops checking too.
    const signIn = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    expect(signIn.body.data?.signIn.__typename).toBe('TooManyAttempts');
    const right = await gql(
      ctx.server.url,
      CHANGE_PASSWORD,
      { current: user.password, next: 'a new passphrase 99' },
      auth,
    );
    expect(right.body.data?.changePassword.__typename).toBe('InvalidCredentials');
  });

  it('does not let failures from a foreign network lock the owner out', async () => {
    const user = await signUpUser(ctx.server.url);
    for (let i = 0; i < 8; i += 1) {
      await gqlFrom(ctx.server.url, ATTACKER_IP, SIGN_IN, { email: user.email, password: WRONG });
    }
    const attacker = await gqlFrom(ctx.server.url, ATTACKER_IP, SIGN_IN, {
      email: user.email,
      password: user.password,
    });
    expect(attacker.body.data?.signIn.__typename).toBe('TooManyAttempts');
    // The owner, on another network, is not delayed by the attacker's failures.
    const owner = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    expect(owner.body.data?.signIn.__typename).toBe('SignInSuccess');
  });

  it("lets the owner's device sign in while an attacker fails past the account-wide ceiling", async () => {
    const user = await signUpUser(ctx.server.url);
    const first = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    const ownerDevice = deviceCookieOf(first.headers);
    // The attacker's own account gives a valid device cookie, which counts for nothing on the victim's.
    const own = await signUpUser(ctx.server.url);
    const ownSignIn = await gqlFrom(ctx.server.url, ATTACKER_IP, SIGN_IN, {
      email: own.email,
      password: own.password,
    });
    const attackerDevice = deviceCookieOf(ownSignIn.headers);
    for (let i = 0; i < 30; i += 1) {
      await gqlFrom(
        ctx.server.url,
        `127.0.${10 + i}.1`,
        SIGN_IN,
        { email: user.email, password: WRONG },
        { cookie: attackerDevice },
      );
    }
    // Past the ceiling: unknown clients wait, whatever network they come from…
    const fresh = await gqlFrom(ctx.server.url, '127.0.99.1', SIGN_IN, {
      email: user.email,
      password: user.password,
    });
    expect(fresh.body.data?.signIn.__typename).toBe('TooManyAttempts');
    // …a forged device cookie is no device…
    const forged = await gqlFrom(
      ctx.server.url,
      '127.0.99.1',
      SIGN_IN,
      { email: user.email, password: user.password },
      { cookie: `plinto_device=${'A'.repeat(22)}.${'0'.repeat(64)}` },
    );
    expect(forged.body.data?.signIn.__typename).toBe('TooManyAttempts');
    // …and the owner's device signs in.
    const owner = await gql(
      ctx.server.url,
      SIGN_IN,
      { email: user.email, password: user.password },
      { cookie: ownerDevice },
    );
    expect(owner.body.data?.signIn.__typename).toBe('SignInSuccess');
  });
});
