import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/security/crypto.js';
import { OneTimeToken } from '../../src/storage/entities/index.js';
import { BACKENDS, createTestDatabase } from '../helpers/database.js';
import {
  emailFlowHelpers,
  REQUEST_EMAIL_VERIFICATION,
  REQUEST_MAGIC_LINK,
  REQUEST_PASSWORD_RESET,
  RESET_PASSWORD,
  SIGN_IN_WITH_MAGIC_LINK,
  VERIFY_EMAIL,
} from '../helpers/email-documents.js';
import { bearer, gql, ME, SIGN_IN, SIGN_UP, STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { accessTokenAmr, BEGIN, codeAt, complete, CONFIRM, withinOneStep } from '../helpers/mfa.js';
import { startServer } from '../helpers/server.js';
import { linkIn } from '../helpers/smtp.js';
import { useMailServer } from '../helpers/use-server.js';

const NEW_PASSWORD = 'a brand new passphrase 77';

describe.each(BACKENDS)('email flows with a real SMTP server (%s)', (backend) => {
  const ctx = useMailServer(backend);

  const { signIn, verifiedUser, mailedToken } = emailFlowHelpers(
    () => ctx.server,
    () => ctx.smtp,
  );

  it('signs up verify-first: mail with a working link, EmailNotVerified until then, one use only', async () => {
    const email = uniqueEmail('verify');
    const signUp = await gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    expect(signUp.body.data?.signUp).toEqual({ __typename: 'VerificationRequired', email });

    const beforeVerification = await signIn(email, STRONG_PASSWORD);
    expect(beforeVerification).toMatchObject({ __typename: 'EmailNotVerified', code: 'EMAIL_NOT_VERIFIED' });
    expect((await signIn(email, 'not the password 1')).__typename).toBe('InvalidCredentials');

    const mail = await ctx.smtp.waitFor(email, /Confirm your email/);
    const link = linkIn(mail, '/verify-email');
    expect(link.url).toBe(`http://plinto.test/verify-email#token=${link.token}`);
    expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, base64url
    expect(mail.html).toContain(`href="http://plinto.test/verify-email#token=${link.token}"`);

    const verified = await gql(ctx.server.url, VERIFY_EMAIL, { token: link.token });
    const success = verified.body.data?.verifyEmail;
    expect(success.__typename).toBe('SignInSuccess');
    expect(success.user).toMatchObject({ email, emailVerified: true });
    const me = await gql(ctx.server.url, ME, {}, bearer(success.tokens.accessToken));
    expect(me.body.data?.me).toMatchObject({ email, emailVerified: true });

    const again = await gql(ctx.server.url, VERIFY_EMAIL, { token: link.token });
    expect(again.body.data?.verifyEmail).toMatchObject({ __typename: 'InvalidToken', code: 'INVALID_TOKEN' });
    // The first mailbox proof cleared the sign-up password (pre-account hijacking): the owner sets
    // one from the link's session (see account-takeover.test.ts).
    expect((await signIn(email, STRONG_PASSWORD)).__typename).toBe('InvalidCredentials');
    await ctx.smtp.waitFor(email, /email address is confirmed/);
  });

  it('tells the owner, not the caller, when someone signs up with a registered address', async () => {
    const { email } = await verifiedUser();
    const first = ctx.smtp.mailsTo(email).length;
    const attempt = await gql(ctx.server.url, SIGN_UP, { email, password: 'someone elses password 9' });
    expect(attempt.body.data?.signUp).toEqual({ __typename: 'VerificationRequired', email });
    const mail = await ctx.smtp.waitFor(email, /Someone tried to sign up/);
    expect(mail.text).not.toMatch(/token=/);
    expect(ctx.smtp.mailsTo(email).length).toBeGreaterThan(first);
    // The intruder's password does nothing.
    expect((await signIn(email, 'someone elses password 9')).__typename).toBe('InvalidCredentials');
  });

  it('resends verification on request, and a newer link supersedes the older one', async () => {
    const email = uniqueEmail('resend');
    await gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    const [first] = await ctx.smtp.waitForCount(email, /Confirm your email/, 1);
    const request = await gql(ctx.server.url, REQUEST_EMAIL_VERIFICATION, { email });
    expect(request.body.data).toEqual({ requestEmailVerification: true });
    const mails = await ctx.smtp.waitForCount(email, /Confirm your email/, 2);
    const older = linkIn(first!, '/verify-email').token;
    const newer = linkIn(mails[1]!, '/verify-email').token;
    expect(newer).not.toBe(older);
    expect(
      (await gql(ctx.server.url, VERIFY_EMAIL, { token: older })).body.data?.verifyEmail.__typename,
    ).toBe('InvalidToken');
    expect(
      (await gql(ctx.server.url, VERIFY_EMAIL, { token: newer })).body.data?.verifyEmail.__typename,
    ).toBe('SignInSuccess');
  });

  it('signs in with a magic link once; the token is bound to its purpose', async () => {
    const { email } = await verifiedUser();
    const token = await mailedToken(REQUEST_MAGIC_LINK, email, /sign-in link/, '/magic-link');
    const asReset = await gql(ctx.server.url, RESET_PASSWORD, { token, newPassword: NEW_PASSWORD });
    expect(asReset.body.data?.resetPassword.__typename).toBe('InvalidToken');
    const asVerify = await gql(ctx.server.url, VERIFY_EMAIL, { token });
    expect(asVerify.body.data?.verifyEmail.__typename).toBe('InvalidToken');

    const signedIn = await gql(ctx.server.url, SIGN_IN_WITH_MAGIC_LINK, { token });
    const success = signedIn.body.data?.signInWithMagicLink;
    expect(success.__typename).toBe('SignInSuccess');
    expect(success.user.email).toBe(email);
    expect((await gql(ctx.server.url, ME, {}, bearer(success.tokens.accessToken))).body.data?.me.email).toBe(
      email,
    );

    const again = await gql(ctx.server.url, SIGN_IN_WITH_MAGIC_LINK, { token });
    expect(again.body.data?.signInWithMagicLink.__typename).toBe('InvalidToken');
  });

  it('refuses a token after expiry and after a newer one was issued', async () => {
    const { email } = await verifiedUser();
    const expiring = await mailedToken(REQUEST_MAGIC_LINK, email, /sign-in link/, '/magic-link');
    await ctx.server.app.services.orm.em
      .fork()
      .nativeUpdate(
        OneTimeToken,
        { tokenHash: sha256Hex(expiring) },
        { expiresAt: new Date(Date.now() - 1000) },
      );
    const expired = await gql(ctx.server.url, SIGN_IN_WITH_MAGIC_LINK, { token: expiring });
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
    const superseded = await gql(ctx.server.url, RESET_PASSWORD, { token: older, newPassword: NEW_PASSWORD });
    expect(superseded.body.data?.resetPassword.__typename).toBe('InvalidToken');
    const current = await gql(ctx.server.url, RESET_PASSWORD, { token: newer, newPassword: NEW_PASSWORD });
    expect(current.body.data?.resetPassword.__typename).toBe('PasswordChanged');
  });

  it('lets exactly one of 20 concurrent uses of a token succeed', async () => {
    const { email } = await verifiedUser();
    const magic = await mailedToken(REQUEST_MAGIC_LINK, email, /sign-in link/, '/magic-link');
    const signIns = await Promise.all(
      Array.from({ length: 20 }, () => gql(ctx.server.url, SIGN_IN_WITH_MAGIC_LINK, { token: magic })),
    );
    const kinds = signIns.map((r) => r.body.data?.signInWithMagicLink.__typename);
    expect(kinds.filter((k) => k === 'SignInSuccess')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'InvalidToken')).toHaveLength(19);

    const reset = await mailedToken(REQUEST_PASSWORD_RESET, email, /Reset your password/, '/reset-password');
    const resets = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gql(ctx.server.url, RESET_PASSWORD, { token: reset, newPassword: `${NEW_PASSWORD} ${i}` }),
      ),
    );
    const resetKinds = resets.map((r) => r.body.data?.resetPassword.__typename);
    expect(resetKinds.filter((k) => k === 'PasswordChanged')).toHaveLength(1);
    expect(resetKinds.filter((k) => k === 'InvalidToken')).toHaveLength(19);
    const winner = resets.findIndex((r) => r.body.data?.resetPassword.__typename === 'PasswordChanged');
    expect((await signIn(email, `${NEW_PASSWORD} ${winner}`)).__typename).toBe('SignInSuccess');
  });

  it('never gives a session from an emailed link to a user with a second factor', async () => {
    await withinOneStep();
    const { email, tokens } = await verifiedUser();
    const begin = await gql(ctx.server.url, BEGIN, {}, bearer(tokens.accessToken));
    const secret = begin.body.data?.beginTotpEnrollment.secret as string;
    const confirm = await gql(
      ctx.server.url,
      CONFIRM,
      { code: codeAt(secret, -30) },
      bearer(tokens.accessToken),
    );
    expect(confirm.body.data?.confirmTotpEnrollment.__typename).toBe('RecoveryCodes');

    const token = await mailedToken(REQUEST_MAGIC_LINK, email, /sign-in link/, '/magic-link');
    const challenged = await gql(ctx.server.url, SIGN_IN_WITH_MAGIC_LINK, { token });
    const challenge = challenged.body.data?.signInWithMagicLink;
    expect(challenge.__typename).toBe('MfaChallenge');
    expect(challenged.text).not.toMatch(/accessToken|refreshToken/);
    // The mailbox was the first factor; the code completes it, and the token says both.
    const done = await complete(ctx.server.url, challenge.challengeToken, codeAt(secret));
    expect(done.__typename).toBe('SignInSuccess');
    expect(accessTokenAmr(done.tokens.accessToken)).toEqual(['email', 'otp', 'mfa']);
  });

  it('escapes the address in the HTML part', async () => {
    const email = `o'hara&co-${Date.now().toString(36)}@example.com`;
    await gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    const mail = await ctx.smtp.waitFor(email, /Confirm your email/);
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
