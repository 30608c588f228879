import { describe, expect, it } from 'vitest';
import {
  CHANGE_PASSWORD,
  emailFlowHelpers,
  REQUEST_MAGIC_LINK,
  REQUEST_PASSWORD_RESET,
  RESET_PASSWORD,
  SIGN_IN_WITH_MAGIC_LINK,
  VERIFY_EMAIL,
} from '../helpers/email-documents.js';
import { bearer, gql, SIGN_UP, STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { BEGIN, codeAt, complete, CONFIRM, withinOneStep } from '../helpers/mfa.js';
import { linkIn } from '../helpers/smtp.js';
import { useMailServer } from '../helpers/use-server.js';
import { Identity, Passkey, User } from '../../src/storage/entities/index.js';

/**
 * The account-takeover chains of issue 17 (part A), end to end over HTTP against PostgreSQL, Redis
 * and a real SMTP sink, as an attacker would run them. Each chain succeeded before the fix.
 * (The factor-guessing and lockout chains are in account-takeover-factors.test.ts.)
 */
const ATTACKER_PASSWORD = 'attacker chose this passphrase 1';
const VICTIM_PASSWORD = 'the real owner passphrase 22';
const NEW_PASSWORD = 'a brand new passphrase after reset 3';

const REFRESH = `mutation($t: String!) { refreshSession(refreshToken: $t) {
  __typename ... on SignInSuccess { tokens { accessToken refreshToken refreshTokenExpiresAt } session { createdAt } }
} }`;

describe('account takeover chains (verify-first)', () => {
  const ctx = useMailServer('postgresql');
  const { signIn, verifiedUser, mailedToken } = emailFlowHelpers(
    () => ctx.server,
    () => ctx.smtp,
  );

  async function sql(statement: string, params: unknown[]): Promise<void> {
    await ctx.server.app.services.orm.em.fork().getConnection().execute(statement, params, 'run');
  }

  async function userCount(email: string): Promise<number> {
    const rows = await ctx.server.app.services.orm.em
      .fork()
      .getConnection()
      .execute('select count(*) as n from users where email = ?', [email]);
    return Number(rows[0]?.n);
  }

  async function attackerSignsUp(victim: string): Promise<void> {
    const signUp = await gql(ctx.server.url, SIGN_UP, { email: victim, password: ATTACKER_PASSWORD });
    expect(signUp.body.data?.signUp.__typename).toBe('VerificationRequired');
  }

  it('pre-hijack, magic-link order: the attacker’s sign-up password stops working when the owner signs in', async () => {
    const victim = uniqueEmail('prehijack-magic');
    await attackerSignsUp(victim);
    const token = await mailedToken(REQUEST_MAGIC_LINK, victim, /sign-in link/i, '/magic-link');
    const owner = await gql(ctx.server.url, SIGN_IN_WITH_MAGIC_LINK, { token });
    expect(owner.body.data?.signInWithMagicLink.__typename).toBe('SignInSuccess');

    expect((await signIn(victim, ATTACKER_PASSWORD)).__typename).toBe('InvalidCredentials');
    // The owner sets a password of their own from the link's (fresh) session.
    const set = await gql(
      ctx.server.url,
      CHANGE_PASSWORD,
      { current: '', next: VICTIM_PASSWORD, others: true },
      bearer(owner.body.data?.signInWithMagicLink.tokens.accessToken),
    );
    expect(set.body.data?.changePassword.__typename).toBe('PasswordChanged');
    expect((await signIn(victim, VICTIM_PASSWORD)).__typename).toBe('SignInSuccess');
    expect((await signIn(victim, ATTACKER_PASSWORD)).__typename).toBe('InvalidCredentials');
  });

  it('pre-hijack: passkeys and linked identities the unverified holder added, and device cookies, do not survive the owner', async () => {
    const victim = uniqueEmail('prehijack-factors');
    await attackerSignsUp(victim);
    // A correct password on the unverified account mints no device cookie (it would outlive the claim).
    const attempt = await fetch(`${ctx.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          'mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { __typename } }',
        variables: { e: victim, p: ATTACKER_PASSWORD },
      }),
    });
    expect(
      ((await attempt.json()) as { data: { signIn: { __typename: string } } }).data.signIn.__typename,
    ).toBe('EmailNotVerified');
    expect(attempt.headers.getSetCookie().filter((line) => line.startsWith('plinto_device='))).toEqual([]);
    // What the holder could add in immediate mode or through a provider: a passkey and an identity.
    const em = ctx.server.app.services.orm.em.fork();
    const user = await em.findOneOrFail(User, { email: victim });
    await em.insert(Passkey, {
      id: crypto.randomUUID(),
      user: user.id,
      credentialId: `attacker-${crypto.randomUUID()}`,
      publicKey: 'x',
      signCount: 0,
      transports: '',
      backupEligible: false,
      backedUp: false,
      aaguid: '00000000-0000-0000-0000-000000000000',
      name: 'attacker',
      createdAt: new Date(),
    });
    await em.insert(Identity, {
      id: crypto.randomUUID(),
      user: user.id,
      provider: 'evil',
      subject: 'attacker-sub',
      email: null,
      emailVerified: false,
      linkedAt: new Date(),
    });

    const token = await mailedToken(REQUEST_MAGIC_LINK, victim, /sign-in link/i, '/magic-link');
    const owner = await gql(ctx.server.url, SIGN_IN_WITH_MAGIC_LINK, { token });
    expect(owner.body.data?.signInWithMagicLink.__typename).toBe('SignInSuccess');
    const after = ctx.server.app.services.orm.em.fork();
    expect(await after.count(Passkey, { user: user.id })).toBe(0);
    expect(await after.count(Identity, { user: user.id })).toBe(0);
  });

  it('pre-hijack, confirmation-mail order: the owner clicking the mail the attacker caused ends the attacker’s password', async () => {
    const victim = uniqueEmail('prehijack-confirm');
    await attackerSignsUp(victim);
    const { token } = linkIn(await ctx.smtp.waitFor(victim, /Confirm your email/), '/verify-email');
    const owner = await gql(ctx.server.url, VERIFY_EMAIL, { token });
    expect(owner.body.data?.verifyEmail.__typename).toBe('SignInSuccess');

    expect((await signIn(victim, ATTACKER_PASSWORD)).__typename).toBe('InvalidCredentials');
  });

  it('a repeated sign-up of an unverified address stores nothing: the second password does not win, a fresh link goes out', async () => {
    const victim = uniqueEmail('prehijack-repeat');
    await attackerSignsUp(victim);
    const second = await gql(ctx.server.url, SIGN_UP, { email: victim, password: VICTIM_PASSWORD });
    expect(second.body.data?.signUp.__typename).toBe('VerificationRequired');
    // The second caller's password was not stored: it is no credential of this account.
    expect((await signIn(victim, VICTIM_PASSWORD)).__typename).toBe('InvalidCredentials');
    // The mailbox gets a fresh verification link (not "someone tried to sign up"), superseding the first.
    const mails = await ctx.smtp.waitForCount(victim, /Confirm your email/, 2);
    const { token } = linkIn(mails[1]!, '/verify-email');
    const owner = await gql(ctx.server.url, VERIFY_EMAIL, { token });
    expect(owner.body.data?.verifyEmail.__typename).toBe('SignInSuccess');
    // After the mailbox proof neither sign-up password works.
    expect((await signIn(victim, ATTACKER_PASSWORD)).__typename).toBe('InvalidCredentials');
    expect((await signIn(victim, VICTIM_PASSWORD)).__typename).toBe('InvalidCredentials');
  });

  it('sweeps a never-verified account after the verification link’s lifetime, and never a verified one', async () => {
    const victim = uniqueEmail('prehijack-expiry');
    await attackerSignsUp(victim);
    const { email: verified } = await verifiedUser();
    const dayAndAHalfLater = new Date(Date.now() + 36 * 3600 * 1000);
    const report = await ctx.server.app.services.expiredRowSweeper.sweepOnce(dayAndAHalfLater);
    expect(report.users.rows).toBeGreaterThanOrEqual(1);
    expect(await userCount(victim)).toBe(0);
    expect(await userCount(verified)).toBe(1);
    // The address is free again: the owner's own sign-up creates the account.
    const own = await gql(ctx.server.url, SIGN_UP, { email: victim, password: VICTIM_PASSWORD });
    expect(own.body.data?.signUp.__typename).toBe('VerificationRequired');
    expect(await userCount(victim)).toBe(1);
  });

  it('a stolen access token older than the step-up limit cannot plant a second factor', async () => {
    const { tokens } = await verifiedUser();
    // The thief's copy of the token: its session authenticated 10 minutes ago (limit 300 s).
    const sessionId = JSON.parse(Buffer.from(tokens.accessToken.split('.')[1]!, 'base64url').toString()).sid;
    const tenMinutesAgo = new Date(Date.now() - 600_000);
    await sql('update sessions set created_at = ? where id = ?', [tenMinutesAgo, sessionId]);
    await sql('update sessions set authenticated_at = ? where id = ?', [tenMinutesAgo, sessionId]);
    const begin = await gql(ctx.server.url, BEGIN, {}, bearer(tokens.accessToken));
    // beginTotpEnrollment keeps the contract's TotpEnrollment type: a stale session is the top-level STEP_UP_REQUIRED.
    expect(begin.body.data).toBeNull();
    expect(begin.body.errors?.[0]?.extensions).toMatchObject({
      code: 'STEP_UP_REQUIRED',
      maxAgeSeconds: 300,
    });
    const confirm = await gql(ctx.server.url, CONFIRM, { code: '123456' }, bearer(tokens.accessToken));
    expect(confirm.body.data?.confirmTotpEnrollment.__typename).toBe('StepUpRequired');
  });

  it('a verification link mailed before a password reset is dead after it', async () => {
    const email = uniqueEmail('verify-after-reset');
    await gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    const { token: verification } = linkIn(
      await ctx.smtp.waitFor(email, /Confirm your email/),
      '/verify-email',
    );
    const reset = await mailedToken(REQUEST_PASSWORD_RESET, email, /Reset your password/, '/reset-password');
    const done = await gql(ctx.server.url, RESET_PASSWORD, { token: reset, newPassword: NEW_PASSWORD });
    expect(done.body.data?.resetPassword.__typename).toBe('PasswordChanged');

    const late = await gql(ctx.server.url, VERIFY_EMAIL, { token: verification });
    expect(late.body.data?.verifyEmail.__typename).toBe('InvalidToken');
    expect((await signIn(email, NEW_PASSWORD)).__typename).toBe('SignInSuccess');
  });

  it('a verification link of an already verified address signs nobody in', async () => {
    const email = uniqueEmail('verify-after-magic');
    await gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    const { token: verification } = linkIn(
      await ctx.smtp.waitFor(email, /Confirm your email/),
      '/verify-email',
    );
    // Verified through another path (a magic link) before the verification link is used.
    const magic = await mailedToken(REQUEST_MAGIC_LINK, email, /sign-in link/i, '/magic-link');
    expect(
      (await gql(ctx.server.url, SIGN_IN_WITH_MAGIC_LINK, { token: magic })).body.data?.signInWithMagicLink
        .__typename,
    ).toBe('SignInSuccess');
    const late = await gql(ctx.server.url, VERIFY_EMAIL, { token: verification });
    expect(late.body.data?.verifyEmail.__typename).toBe('InvalidToken');
  });

  it('an MFA challenge begun before a password reset cannot be completed after it', async () => {
    await withinOneStep();
    const { email, tokens } = await verifiedUser();
    const begin = await gql(ctx.server.url, BEGIN, {}, bearer(tokens.accessToken));
    const secret = begin.body.data?.beginTotpEnrollment.secret as string;
    const confirmed = await gql(
      ctx.server.url,
      CONFIRM,
      { code: codeAt(secret, -30) },
      bearer(tokens.accessToken),
    );
    expect(confirmed.body.data?.confirmTotpEnrollment.__typename).toBe('RecoveryCodes');

    // The attacker knows the old password and starts a sign-in; the owner resets meanwhile.
    const challenge = await signIn(email, STRONG_PASSWORD);
    expect(challenge.__typename).toBe('MfaChallenge');
    const reset = await mailedToken(REQUEST_PASSWORD_RESET, email, /Reset your password/, '/reset-password');
    const done = await gql(ctx.server.url, RESET_PASSWORD, { token: reset, newPassword: NEW_PASSWORD });
    expect(done.body.data?.resetPassword.__typename).toBe('PasswordChanged');

    const finished = await complete(ctx.server.url, challenge.challengeToken, codeAt(secret));
    expect(finished.__typename).toBe('InvalidToken');
  });

  it('refuses a refresh past the absolute session lifetime, and a refresh never extends past it', async () => {
    const { tokens } = await verifiedUser();
    const first = await gql(ctx.server.url, REFRESH, { t: tokens.refreshToken });
    const renewed = first.body.data?.refreshSession;
    expect(renewed.__typename).toBe('SignInSuccess');
    const absoluteEnd = new Date(renewed.session.createdAt).getTime() + 30 * 86400 * 1000;
    expect(new Date(renewed.tokens.refreshTokenExpiresAt).getTime()).toBeLessThanOrEqual(absoluteEnd);

    // The session signed in 31 days ago and was refreshed all along: its refresh token is still unexpired.
    const sessionId = JSON.parse(Buffer.from(tokens.accessToken.split('.')[1]!, 'base64url').toString()).sid;
    await sql('update sessions set created_at = ? where id = ?', [
      new Date(Date.now() - 31 * 86400 * 1000),
      sessionId,
    ]);
    const late = await gql(ctx.server.url, REFRESH, { t: renewed.tokens.refreshToken });
    expect(late.body.data?.refreshSession.__typename).toBe('InvalidToken');
  });

  it('ends a second-factor session after 30 idle minutes or 12 hours, whichever comes first', async () => {
    await withinOneStep();
    const { email, tokens } = await verifiedUser();
    const begin = await gql(ctx.server.url, BEGIN, {}, bearer(tokens.accessToken));
    const secret = begin.body.data?.beginTotpEnrollment.secret as string;
    const confirmed = await gql(
      ctx.server.url,
      CONFIRM,
      { code: codeAt(secret, -30) },
      bearer(tokens.accessToken),
    );
    const recoveryCodes = confirmed.body.data?.confirmTotpEnrollment.codes as string[];

    async function mfaSession(code: string) {
      const challenge = await signIn(email, STRONG_PASSWORD);
      const done = await complete(ctx.server.url, challenge.challengeToken, code);
      expect(done.__typename).toBe('SignInSuccess');
      const signedIn = done.tokens as { accessToken: string; refreshToken: string };
      const id = JSON.parse(Buffer.from(signedIn.accessToken.split('.')[1]!, 'base64url').toString())
        .sid as string;
      return { ...signedIn, id };
    }
    const refresh = async (token: string) =>
      (await gql(ctx.server.url, REFRESH, { t: token })).body.data?.refreshSession;

    // Used 20 minutes ago: still inside the idle timeout, and the refresh caps its expiry at 30 minutes.
    const active = await mfaSession(codeAt(secret, 30));
    await sql('update sessions set last_used_at = ? where id = ?', [
      new Date(Date.now() - 20 * 60_000),
      active.id,
    ]);
    const renewed = await refresh(active.refreshToken);
    expect(renewed.__typename).toBe('SignInSuccess');
    expect(new Date(renewed.tokens.refreshTokenExpiresAt).getTime()).toBeLessThanOrEqual(
      Date.now() + 30 * 60_000,
    );

    // Idle for 31 minutes: the refresh is refused.
    await sql('update sessions set last_used_at = ? where id = ?', [
      new Date(Date.now() - 31 * 60_000),
      active.id,
    ]);
    expect((await refresh(renewed.tokens.refreshToken)).__typename).toBe('InvalidToken');

    // Active all along, but signed in 13 hours ago: past the 12-hour absolute limit.
    const old = await mfaSession(recoveryCodes[0]!);
    await sql('update sessions set created_at = ? where id = ?', [
      new Date(Date.now() - 13 * 3600_000),
      old.id,
    ]);
    expect((await refresh(old.refreshToken)).__typename).toBe('InvalidToken');
  });
});
