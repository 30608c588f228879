import { describe, expect, it } from 'vitest';
import { emailFlowHelpers, REQUEST_PASSWORD_RESET, RESET_PASSWORD } from '../helpers/email-documents.js';
import { bearer, gql } from '../helpers/graphql.js';
import { BEGIN, codeAt, complete, CONFIRM, withinOneStep } from '../helpers/mfa.js';
import { useMailServer } from '../helpers/use-server.js';

const NEW_PASSWORD = 'reset interplay passphrase 31';

/** Where the email, lockout and second-factor flows meet (PostgreSQL, Redis, real SMTP). */
describe('password reset against the lockout and the second factor', () => {
  const ctx = useMailServer('postgresql');

  const { signIn, verifiedUser, mailedToken } = emailFlowHelpers(
    () => ctx.server,
    () => ctx.smtp,
  );

  it('lets a locked-out user reset, and the reset clears the failure counter', async () => {
    const { email } = await verifiedUser();
    for (let i = 0; i < 6; i += 1) await signIn(email, `wrong password ${i}`);
    const locked = await signIn(email, 'still the wrong one');
    expect(locked).toMatchObject({ __typename: 'TooManyAttempts', code: 'TOO_MANY_ATTEMPTS' });
    expect(locked.retryAfterSeconds).toBeGreaterThan(0);

    // The attacker's failures cannot lock the owner out of the reset flow.
    const token = await mailedToken(REQUEST_PASSWORD_RESET, email, /reset/i, '/reset-password');
    const reset = await gql(ctx.server.url, RESET_PASSWORD, { token, newPassword: NEW_PASSWORD });
    expect(reset.body.data?.resetPassword.__typename).toBe('PasswordChanged');

    const after = await signIn(email, NEW_PASSWORD);
    expect(after.__typename).toBe('SignInSuccess');
  });

  it('keeps the second factor on across a password reset', async () => {
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

    const token = await mailedToken(REQUEST_PASSWORD_RESET, email, /reset/i, '/reset-password');
    const reset = await gql(ctx.server.url, RESET_PASSWORD, { token, newPassword: NEW_PASSWORD });
    expect(reset.body.data?.resetPassword.__typename).toBe('PasswordChanged');

    const challenge = await signIn(email, NEW_PASSWORD);
    expect(challenge.__typename).toBe('MfaChallenge');
    const done = await complete(ctx.server.url, challenge.challengeToken, codeAt(secret));
    expect(done.__typename).toBe('SignInSuccess');
    expect(done.user.mfaEnabled).toBe(true);
  });
});
