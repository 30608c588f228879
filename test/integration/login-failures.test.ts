import { describe, expect, it } from 'vitest';
import { gql, SIGN_IN, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import { passwordChecks } from '../helpers/metrics.js';
import { useServer } from '../helpers/use-server.js';

const WRONG = 'not the password 123';

describe('per-email sign-in failure counter (PostgreSQL + Redis)', () => {
  // Rate limits off: only the failure counter is under test here.
  const ctx = useServer('postgresql', { RATE_LIMITS_ENABLED: 'false' });

  const signIn = async (email: string, password: string) =>
    (await gql(ctx.server.url, SIGN_IN, { email, password })).body.data?.signIn;

  it('answers TooManyAttempts after 5 failures, alike for a registered and an unknown email', async () => {
    const registered = await signUpUser(ctx.server.url);
    const unknown = uniqueEmail('nobody');
    const answers: Record<string, unknown[]> = { registered: [], unknown: [] };
    for (let i = 0; i < 5; i += 1) {
      answers.registered!.push((await signIn(registered.email, WRONG)).__typename);
      answers.unknown!.push((await signIn(unknown, WRONG)).__typename);
    }
    expect(answers.registered).toEqual(Array(5).fill('InvalidCredentials'));
    expect(answers.unknown).toEqual(answers.registered);

    const before = await passwordChecks(ctx.server.app.services.metrics);
    // Even the right password waits: the lock is checked before any password check.
    const lockedRegistered = await signIn(registered.email, registered.password);
    const lockedUnknown = await signIn(unknown, WRONG);
    expect(await passwordChecks(ctx.server.app.services.metrics)).toBe(before);
    for (const locked of [lockedRegistered, lockedUnknown]) {
      expect(locked).toMatchObject({ __typename: 'TooManyAttempts', code: 'TOO_MANY_ATTEMPTS' });
      expect(locked.retryAfterSeconds).toBeGreaterThanOrEqual(29);
      expect(locked.retryAfterSeconds).toBeLessThanOrEqual(30);
    }
    expect(Object.keys(lockedRegistered).sort()).toEqual(Object.keys(lockedUnknown).sort());
  });

  it('counts only consecutive failures: a success starts the count over', async () => {
    const user = await signUpUser(ctx.server.url);
    for (let i = 0; i < 4; i += 1)
      expect((await signIn(user.email, WRONG)).__typename).toBe('InvalidCredentials');
    expect((await signIn(user.email, user.password)).__typename).toBe('SignInSuccess');
    for (let i = 0; i < 4; i += 1)
      expect((await signIn(user.email, WRONG)).__typename).toBe('InvalidCredentials');
    expect((await signIn(user.email, user.password)).__typename).toBe('SignInSuccess');
  });

  it('is cleared by clear(email), the hook the password-reset flow calls', async () => {
    const user = await signUpUser(ctx.server.url);
    for (let i = 0; i < 5; i += 1) await signIn(user.email, WRONG);
    expect((await signIn(user.email, user.password)).__typename).toBe('TooManyAttempts');
    await ctx.server.app.services.loginFailures.clear(` ${user.email.toUpperCase()}`);
    expect((await signIn(user.email, user.password)).__typename).toBe('SignInSuccess');
  });
});
