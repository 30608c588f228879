import { describe, expect, it } from 'vitest';
import { PlintoClient } from '../../client/src/index.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { codeAt, withinOneStep } from '../helpers/mfa.js';
import { linkIn } from '../helpers/smtp.js';
import { useMailServer } from '../helpers/use-server.js';

/** The email and second-factor flows driven through the typed client (verify-first, real SMTP). */
describe('the typed client through email verification, TOTP and password reset', () => {
  const ctx = useMailServer('postgresql');

  it('verifies, enrolls TOTP, signs in with the code, resets the password and reads the audit log', async () => {
    await withinOneStep(20);
    const client = new PlintoClient({ url: `${ctx.server.url}/graphql` });
    const email = uniqueEmail('client-flow');

    expect(await client.signUp({ email, password: STRONG_PASSWORD })).toEqual({
      __typename: 'VerificationRequired',
      email,
    });
    expect((await client.signIn({ email, password: STRONG_PASSWORD })).__typename).toBe('EmailNotVerified');
    const verification = linkIn(await ctx.smtp.waitFor(email, /Confirm your email/), '/verify-email');
    const verified = await client.verifyEmail(verification.token);
    expect(verified.__typename).toBe('SignInSuccess');
    expect((await client.me()).emailVerified).toBe(true);
    // The first mailbox proof cleared the sign-up password (pre-hijack defence): set it again.
    const set = await client.changePassword('', STRONG_PASSWORD, false);
    expect(set.__typename).toBe('PasswordChanged');

    const { secret, otpauthUri } = await client.beginTotpEnrollment();
    expect(otpauthUri).toContain(`secret=${secret}`);
    const codes = await client.confirmTotpEnrollment(codeAt(secret, -30));
    if (codes.__typename !== 'RecoveryCodes') throw new Error(`enrollment: ${codes.__typename}`);
    expect(codes.codes).toHaveLength(10);
    expect(await client.signOut()).toBe(true);

    const challenge = await client.signIn({ email, password: STRONG_PASSWORD });
    if (challenge.__typename !== 'MfaChallenge')
      throw new Error(`expected MfaChallenge, got ${challenge.__typename}`);
    const completed = await client.completeMfaSignIn(challenge.challengeToken, codeAt(secret));
    expect(completed.__typename).toBe('SignInSuccess');
    expect((await client.me()).mfaEnabled).toBe(true);

    expect(await client.requestPasswordReset(email)).toBe(true);
    const reset = linkIn(await ctx.smtp.waitFor(email, /Reset your password/), '/reset-password');
    const newPassword = 'client flow new passphrase 5';
    expect(await client.resetPassword(reset.token, newPassword)).toEqual({
      __typename: 'PasswordChanged',
      signedOutSessions: 1,
    });
    // The reset revoked the client's session: its next request cannot refresh its way back in.
    await expect(client.me()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    const again = await client.signIn({ email, password: newPassword });
    expect(again.__typename).toBe('MfaChallenge');
    const recovered = await client.completeMfaSignIn(
      again.__typename === 'MfaChallenge' ? again.challengeToken : '',
      codes.codes[0]!,
    );
    expect(recovered.__typename).toBe('SignInSuccess');
    const log = await client.auditLog(50);
    const kinds = log.edges.map((e) => e.node.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['email_verified', 'mfa_enabled', 'password_reset', 'recovery_code_used']),
    );
  });
});
