import { describe, expect, it } from 'vitest';
import { drainOutbox } from '../helpers/mail-outbox.js';
import { bearer, gql, ME, SIGN_IN, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import { enrolledUser, withinOneStep } from '../helpers/mfa.js';
import { linkIn } from '../helpers/smtp.js';
import { useMailServer } from '../helpers/use-server.js';

const REQUEST = `mutation($email: String!) { requestMfaRecovery(email: $email) }`;
const START = `mutation($token: String!) { startMfaRecovery(token: $token) }`;
const CANCEL = `mutation { cancelMfaRecovery }`;

describe('lost second factor: emailed link, waiting period, cancel, removal (PostgreSQL)', () => {
  const ctx = useMailServer('postgresql', { SIGNUP_MODE: 'immediate' });

  /** Moves the clock forward for this user's waiting period: its end is set to a moment ago. */
  async function waitingPeriodOver(userId: string): Promise<void> {
    await ctx.server.app.services.orm.em
      .fork()
      .getConnection()
      .execute(
        'update users set mfa_recovery_due_at = ? where id = ? and mfa_recovery_due_at is not null',
        [new Date(Date.now() - 60_000), userId],
        'run',
      );
  }

  async function dueAt(userId: string): Promise<Date | null> {
    const rows = await ctx.server.app.services.orm.em
      .fork()
      .getConnection()
      .execute('select mfa_recovery_due_at from users where id = ?', [userId]);
    const value = (rows[0] as { mfa_recovery_due_at: Date | string | null }).mfa_recovery_due_at;
    return value === null ? null : new Date(value);
  }

  async function startRecovery(email: string, mailNumber: number): Promise<boolean> {
    expect((await gql(ctx.server.url, REQUEST, { email })).body.data?.requestMfaRecovery).toBe(true);
    const mails = await ctx.smtp.waitForCount(email, /Remove your lost second factor/, mailNumber);
    const { token } = linkIn(mails[mailNumber - 1]!, '/recover-mfa');
    return (await gql(ctx.server.url, START, { token })).body.data?.startMfaRecovery as boolean;
  }

  const signInAnswer = async (email: string, password: string) =>
    (await gql(ctx.server.url, SIGN_IN, { email, password })).body.data?.signIn.__typename as string;

  it('removes the factor after the waiting period, not before, and mails at start, cancel and removal', async () => {
    await withinOneStep(20);
    const user = await enrolledUser(ctx.server.url);

    // Enumeration-safe: the same answer for an unknown address, and no mail to it.
    const unknown = uniqueEmail('nobody');
    expect((await gql(ctx.server.url, REQUEST, { email: unknown })).body.data?.requestMfaRecovery).toBe(true);

    const before = Date.now();
    expect(await startRecovery(user.email, 1)).toBe(true);
    const due = await dueAt(user.userId);
    // 72 hours by default.
    expect(due!.getTime() - before).toBeGreaterThanOrEqual(72 * 3600 * 1000 - 60_000);
    expect(due!.getTime() - before).toBeLessThanOrEqual(72 * 3600 * 1000 + 60_000);
    const started = await ctx.smtp.waitFor(user.email, /will be removed/);
    expect(started.text).toMatch(/cancel/);
    await drainOutbox(ctx.server);
    expect(ctx.smtp.mailsTo(unknown)).toEqual([]);

    // During the waiting period the second factor still guards every sign-in.
    expect(await signInAnswer(user.email, user.password)).toBe('MfaChallenge');

    // The owner, from any signed-in session, cancels; even past the old end, nothing is removed.
    const cancel = await gql(ctx.server.url, CANCEL, {}, bearer(user.accessToken));
    expect(cancel.body.data?.cancelMfaRecovery).toBe(true);
    await ctx.smtp.waitFor(user.email, /removal of your second factor was cancelled/);
    expect(await dueAt(user.userId)).toBeNull();
    await waitingPeriodOver(user.userId);
    expect(await signInAnswer(user.email, user.password)).toBe('MfaChallenge');

    // A second recovery, left to run: once the period is over, the next sign-in removes the factor.
    expect(await startRecovery(user.email, 2)).toBe(true);
    expect(await signInAnswer(user.email, user.password)).toBe('MfaChallenge');
    await waitingPeriodOver(user.userId);
    const signIn = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    expect(signIn.body.data?.signIn.__typename).toBe('SignInSuccess');
    const me = await gql(ctx.server.url, ME, {}, bearer(signIn.body.data?.signIn.tokens.accessToken));
    expect(me.body.data?.me.mfaEnabled).toBe(false);
    const removed = await ctx.smtp.waitFor(user.email, /second factor was removed/);
    expect(removed.text).toMatch(/If this was not you/);
  });

  it('refuses a used or unknown recovery link, and mails no link to an account without a second factor', async () => {
    await withinOneStep(20);
    const user = await enrolledUser(ctx.server.url);
    expect((await gql(ctx.server.url, REQUEST, { email: user.email })).body.data?.requestMfaRecovery).toBe(
      true,
    );
    const { token } = linkIn(
      await ctx.smtp.waitFor(user.email, /Remove your lost second factor/),
      '/recover-mfa',
    );
    expect((await gql(ctx.server.url, START, { token })).body.data?.startMfaRecovery).toBe(true);
    expect((await gql(ctx.server.url, START, { token })).body.data?.startMfaRecovery).toBe(false);
    expect((await gql(ctx.server.url, START, { token: 'x'.repeat(43) })).body.data?.startMfaRecovery).toBe(
      false,
    );
    // No second factor, nothing to recover: the same answer, and no mail.
    const plain = await signUpUser(ctx.server.url);
    expect((await gql(ctx.server.url, REQUEST, { email: plain.email })).body.data?.requestMfaRecovery).toBe(
      true,
    );
    await drainOutbox(ctx.server);
    expect(ctx.smtp.mailsTo(plain.email)).toEqual([]);
    // Nobody signed in cannot cancel.
    const anonymous = await gql(ctx.server.url, CANCEL, {});
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
