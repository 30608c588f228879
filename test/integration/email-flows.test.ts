import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/security/crypto.js';
import { OneTimeToken, User } from '../../src/storage/entities/index.js';
import { BACKENDS, createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import {
  CHANGE_PASSWORD,
  REQUEST_EMAIL_VERIFICATION,
  REQUEST_MAGIC_LINK,
  REQUEST_PASSWORD_RESET,
  RESET_PASSWORD,
  SIGN_IN_WITH_MAGIC_LINK,
  startMailServer,
  VERIFY_EMAIL,
} from '../helpers/email-documents.js';
import {
  bearer,
  gql,
  ME,
  REFRESH,
  SIGN_IN,
  SIGN_UP,
  STRONG_PASSWORD,
  uniqueEmail,
} from '../helpers/graphql.js';
import { drainOutbox } from '../helpers/mail-outbox.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';
import { linkIn, startSmtpServer } from '../helpers/smtp.js';
import type { TestSmtpServer } from '../helpers/smtp.js';

const NEW_PASSWORD = 'a brand new passphrase 77';

describe.each(BACKENDS)('email flows with a real SMTP server (%s)', (backend) => {
  let database: TestDatabase;
  let server: TestServer;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    database = await createTestDatabase(backend);
    server = await startMailServer(database, smtp.url);
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
    await database?.drop();
  });

  async function signIn(email: string, password: string) {
    const response = await gql(server.url, SIGN_IN, { email, password });
    return response.body.data?.signIn;
  }

  /** Signs up (verify-first), follows the mailed link, and returns the signed-in user. */
  async function verifiedUser(email = uniqueEmail('verified')) {
    await gql(server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    const { token } = linkIn(await smtp.waitFor(email, /Confirm your email/), '/verify-email');
    const verified = await gql(server.url, VERIFY_EMAIL, { token });
    const success = verified.body.data?.verifyEmail;
    expect(success.__typename, verified.text).toBe('SignInSuccess');
    return { email, tokens: success.tokens as { accessToken: string; refreshToken: string } };
  }

  async function mailedToken(
    document: string,
    email: string,
    subject: RegExp,
    path: '/reset-password' | '/magic-link',
    count = 1,
  ) {
    const response = await gql(server.url, document, { email });
    expect(Object.values(response.body.data ?? {})[0], response.text).toBe(true);
    const mails = await smtp.waitForCount(email, subject, count);
    return linkIn(mails[count - 1]!, path).token;
  }

  it('signs up verify-first: mail with a working link, EmailNotVerified until then, one use only', async () => {
    const email = uniqueEmail('verify');
    const signUp = await gql(server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    expect(signUp.body.data?.signUp).toEqual({ __typename: 'VerificationRequired', email });

    const beforeVerification = await signIn(email, STRONG_PASSWORD);
    expect(beforeVerification).toMatchObject({ __typename: 'EmailNotVerified', code: 'EMAIL_NOT_VERIFIED' });
    expect((await signIn(email, 'not the password 1')).__typename).toBe('InvalidCredentials');

    const mail = await smtp.waitFor(email, /Confirm your email/);
    const link = linkIn(mail, '/verify-email');
    expect(link.url).toBe(`http://plinto.test/verify-email?token=${link.token}`);
    expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, base64url
    expect(mail.html).toContain(`href="http://plinto.test/verify-email?token=${link.token}"`);

    const verified = await gql(server.url, VERIFY_EMAIL, { token: link.token });
    const success = verified.body.data?.verifyEmail;
    expect(success.__typename).toBe('SignInSuccess');
    expect(success.user).toMatchObject({ email, emailVerified: true });
    const me = await gql(server.url, ME, {}, bearer(success.tokens.accessToken));
    expect(me.body.data?.me).toMatchObject({ email, emailVerified: true });

    const again = await gql(server.url, VERIFY_EMAIL, { token: link.token });
    expect(again.body.data?.verifyEmail).toMatchObject({ __typename: 'InvalidToken', code: 'INVALID_TOKEN' });
    expect((await signIn(email, STRONG_PASSWORD)).__typename).toBe('SignInSuccess');
    await smtp.waitFor(email, /email address is confirmed/);
  });

  it('tells the owner, not the caller, when someone signs up with a registered address', async () => {
    const { email } = await verifiedUser();
    const first = smtp.mailsTo(email).length;
    const attempt = await gql(server.url, SIGN_UP, { email, password: 'someone elses password 9' });
    expect(attempt.body.data?.signUp).toEqual({ __typename: 'VerificationRequired', email });
    const mail = await smtp.waitFor(email, /Someone tried to sign up/);
    expect(mail.text).not.toMatch(/token=/);
    expect(smtp.mailsTo(email).length).toBeGreaterThan(first);
    // The intruder's password does nothing.
    expect((await signIn(email, 'someone elses password 9')).__typename).toBe('InvalidCredentials');
  });

  it('resends verification on request, and a newer link supersedes the older one', async () => {
    const email = uniqueEmail('resend');
    await gql(server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    const [first] = await smtp.waitForCount(email, /Confirm your email/, 1);
    const request = await gql(server.url, REQUEST_EMAIL_VERIFICATION, { email });
    expect(request.body.data).toEqual({ requestEmailVerification: true });
    const mails = await smtp.waitForCount(email, /Confirm your email/, 2);
    const older = linkIn(first!, '/verify-email').token;
    const newer = linkIn(mails[1]!, '/verify-email').token;
    expect(newer).not.toBe(older);
    expect((await gql(server.url, VERIFY_EMAIL, { token: older })).body.data?.verifyEmail.__typename).toBe(
      'InvalidToken',
    );
    expect((await gql(server.url, VERIFY_EMAIL, { token: newer })).body.data?.verifyEmail.__typename).toBe(
      'SignInSuccess',
    );
  });

  it('resets a password: kills every refresh and access token, does not sign in, works once', async () => {
    const user = await verifiedUser();
    const second = await signIn(user.email, STRONG_PASSWORD);
    const third = await signIn(user.email, STRONG_PASSWORD);
    const pairs = [user.tokens, second.tokens, third.tokens] as Array<{
      accessToken: string;
      refreshToken: string;
    }>;
    for (const pair of pairs) {
      expect((await gql(server.url, ME, {}, bearer(pair.accessToken))).body.data?.me.email).toBe(user.email);
    }

    const token = await mailedToken(
      REQUEST_PASSWORD_RESET,
      user.email,
      /Reset your password/,
      '/reset-password',
    );
    const weak = await gql(server.url, RESET_PASSWORD, { token, newPassword: 'password' });
    expect(weak.body.data?.resetPassword.__typename).toBe('PasswordRejected');

    const reset = await gql(server.url, RESET_PASSWORD, { token, newPassword: NEW_PASSWORD });
    expect(reset.body.data?.resetPassword).toEqual({ __typename: 'PasswordChanged', signedOutSessions: 3 });
    expect(reset.text).not.toMatch(/accessToken|refreshToken/);

    for (const pair of pairs) {
      const me = await gql(server.url, ME, {}, bearer(pair.accessToken));
      expect(me.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const refresh = await gql(server.url, REFRESH, { refreshToken: pair.refreshToken });
      expect(refresh.body.data?.refreshSession.__typename).toBe('InvalidToken');
    }
    expect((await signIn(user.email, STRONG_PASSWORD)).__typename).toBe('InvalidCredentials');
    expect((await signIn(user.email, NEW_PASSWORD)).__typename).toBe('SignInSuccess');

    const reused = await gql(server.url, RESET_PASSWORD, { token, newPassword: 'yet another passphrase 5' });
    expect(reused.body.data?.resetPassword.__typename).toBe('InvalidToken');
    expect((await signIn(user.email, NEW_PASSWORD)).__typename).toBe('SignInSuccess');
    await smtp.waitFor(user.email, /password was reset/);
  });

  it('sends no mail for a reset of an unknown address', async () => {
    const unknown = uniqueEmail('unknown');
    const response = await gql(server.url, REQUEST_PASSWORD_RESET, { email: unknown });
    expect(response.body.data).toEqual({ requestPasswordReset: true });
    await drainOutbox(server);
    expect(smtp.mailsTo(unknown)).toEqual([]);
  });

  it('signs in with a magic link once; the token is bound to its purpose', async () => {
    const { email } = await verifiedUser();
    const token = await mailedToken(REQUEST_MAGIC_LINK, email, /sign-in link/, '/magic-link');
    const asReset = await gql(server.url, RESET_PASSWORD, { token, newPassword: NEW_PASSWORD });
    expect(asReset.body.data?.resetPassword.__typename).toBe('InvalidToken');
    const asVerify = await gql(server.url, VERIFY_EMAIL, { token });
    expect(asVerify.body.data?.verifyEmail.__typename).toBe('InvalidToken');

    const signedIn = await gql(server.url, SIGN_IN_WITH_MAGIC_LINK, { token });
    const success = signedIn.body.data?.signInWithMagicLink;
    expect(success.__typename).toBe('SignInSuccess');
    expect(success.user.email).toBe(email);
    expect((await gql(server.url, ME, {}, bearer(success.tokens.accessToken))).body.data?.me.email).toBe(
      email,
    );

    const again = await gql(server.url, SIGN_IN_WITH_MAGIC_LINK, { token });
    expect(again.body.data?.signInWithMagicLink.__typename).toBe('InvalidToken');
  });

  it('refuses a token after expiry and after a newer one was issued', async () => {
    const { email } = await verifiedUser();
    const expiring = await mailedToken(REQUEST_MAGIC_LINK, email, /sign-in link/, '/magic-link');
    await server.app.services.orm.em
      .fork()
      .nativeUpdate(
        OneTimeToken,
        { tokenHash: sha256Hex(expiring) },
        { expiresAt: new Date(Date.now() - 1000) },
      );
    const expired = await gql(server.url, SIGN_IN_WITH_MAGIC_LINK, { token: expiring });
    expect(expired.body.data?.signInWithMagicLink.__typename).toBe('InvalidToken');

    const older = await mailedToken(REQUEST_PASSWORD_RESET, email, /Reset your password/, '/reset-password');
    const newer = await mailedToken(
      REQUEST_PASSWORD_RESET,
      email,
      /Reset your password/,
      '/reset-password',
      2,
    );
    expect(newer).not.toBe(older);
    const superseded = await gql(server.url, RESET_PASSWORD, { token: older, newPassword: NEW_PASSWORD });
    expect(superseded.body.data?.resetPassword.__typename).toBe('InvalidToken');
    const current = await gql(server.url, RESET_PASSWORD, { token: newer, newPassword: NEW_PASSWORD });
    expect(current.body.data?.resetPassword.__typename).toBe('PasswordChanged');
  });

  it('lets exactly one of 20 concurrent uses of a token succeed', async () => {
    const { email } = await verifiedUser();
    const magic = await mailedToken(REQUEST_MAGIC_LINK, email, /sign-in link/, '/magic-link');
    const signIns = await Promise.all(
      Array.from({ length: 20 }, () => gql(server.url, SIGN_IN_WITH_MAGIC_LINK, { token: magic })),
    );
    const kinds = signIns.map((r) => r.body.data?.signInWithMagicLink.__typename);
    expect(kinds.filter((k) => k === 'SignInSuccess')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'InvalidToken')).toHaveLength(19);

    const reset = await mailedToken(REQUEST_PASSWORD_RESET, email, /Reset your password/, '/reset-password');
    const resets = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gql(server.url, RESET_PASSWORD, { token: reset, newPassword: `${NEW_PASSWORD} ${i}` }),
      ),
    );
    const resetKinds = resets.map((r) => r.body.data?.resetPassword.__typename);
    expect(resetKinds.filter((k) => k === 'PasswordChanged')).toHaveLength(1);
    expect(resetKinds.filter((k) => k === 'InvalidToken')).toHaveLength(19);
    const winner = resets.findIndex((r) => r.body.data?.resetPassword.__typename === 'PasswordChanged');
    expect((await signIn(email, `${NEW_PASSWORD} ${winner}`)).__typename).toBe('SignInSuccess');
  });

  it('changes a password with the current one and signs out the other sessions', async () => {
    const user = await verifiedUser();
    const other = await signIn(user.email, STRONG_PASSWORD);
    const auth = bearer(user.tokens.accessToken);

    const anonymous = await gql(server.url, CHANGE_PASSWORD, {
      current: STRONG_PASSWORD,
      next: NEW_PASSWORD,
    });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const wrong = await gql(
      server.url,
      CHANGE_PASSWORD,
      { current: 'wrong password 12', next: NEW_PASSWORD },
      auth,
    );
    expect(wrong.body.data?.changePassword.__typename).toBe('InvalidCredentials');
    const weak = await gql(
      server.url,
      CHANGE_PASSWORD,
      { current: STRONG_PASSWORD, next: 'password1' },
      auth,
    );
    expect(weak.body.data?.changePassword.__typename).toBe('PasswordRejected');

    const changed = await gql(
      server.url,
      CHANGE_PASSWORD,
      { current: STRONG_PASSWORD, next: NEW_PASSWORD },
      auth,
    );
    expect(changed.body.data?.changePassword).toEqual({
      __typename: 'PasswordChanged',
      signedOutSessions: 1,
    });
    expect((await gql(server.url, ME, {}, auth)).body.data?.me.email).toBe(user.email);
    const otherMe = await gql(server.url, ME, {}, bearer(other.tokens.accessToken));
    expect(otherMe.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await signIn(user.email, NEW_PASSWORD)).__typename).toBe('SignInSuccess');
    await smtp.waitFor(user.email, /password was changed/);

    const keep = await gql(
      server.url,
      CHANGE_PASSWORD,
      { current: NEW_PASSWORD, next: STRONG_PASSWORD, others: false },
      auth,
    );
    expect(keep.body.data?.changePassword).toEqual({ __typename: 'PasswordChanged', signedOutSessions: 0 });
  });

  it('never gives a session from an emailed link to a user with a second factor', async () => {
    const { email } = await verifiedUser();
    await server.app.services.orm.em.fork().nativeUpdate(User, { email }, { totpEnabledAt: new Date() });
    // Until the MFA flow wires its challenger, such a sign-in fails closed (masked error, no tokens).
    const unwired = await mailedToken(REQUEST_MAGIC_LINK, email, /sign-in link/, '/magic-link');
    const refused = await gql(server.url, SIGN_IN_WITH_MAGIC_LINK, { token: unwired });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(refused.text).not.toMatch(/accessToken|refreshToken/);

    const expiresAt = new Date(Date.now() + 300_000);
    server.app.services.tokenSignIn.setChallenger({
      challenge: async () => ({ challengeToken: 'challenge-from-the-mfa-flow', expiresAt }),
    });
    const token = await mailedToken(REQUEST_MAGIC_LINK, email, /sign-in link/, '/magic-link', 2);
    const challenged = await gql(server.url, SIGN_IN_WITH_MAGIC_LINK, { token });
    expect(challenged.body.data?.signInWithMagicLink).toEqual({
      __typename: 'MfaChallenge',
      challengeToken: 'challenge-from-the-mfa-flow',
      expiresAt: expiresAt.toISOString(),
    });
  });

  it('escapes the address in the HTML part', async () => {
    const email = `o'hara&co-${Date.now().toString(36)}@example.com`;
    await gql(server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    const mail = await smtp.waitFor(email, /Confirm your email/);
    expect(mail.text).toContain(email);
    expect(mail.html).toContain(email.replace('&', '&amp;').replace("'", '&#39;'));
    expect(mail.html).not.toContain(email);
  });
});

describe('SIGNUP_MODE=immediate keeps signing in at once', () => {
  it('answers SignInSuccess and lets the unverified user sign in', async () => {
    const database = await createTestDatabase('sqlite');
    const server = await startServer(database, { SIGNUP_MODE: 'immediate' });
    try {
      const email = uniqueEmail('immediate');
      const signUp = await gql(server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
      expect(signUp.body.data?.signUp.__typename).toBe('SignInSuccess');
      const signIn = await gql(server.url, SIGN_IN, { email, password: STRONG_PASSWORD });
      expect(signIn.body.data?.signIn.__typename).toBe('SignInSuccess');
    } finally {
      await server.close();
      await database.drop();
    }
  });
});
