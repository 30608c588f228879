import { describe, expect, it } from 'vitest';
import { CHANGE_PASSWORD, REQUEST_PASSWORD_RESET, RESET_PASSWORD } from '../helpers/email-documents.js';
import { bearer, gql, signUpUser } from '../helpers/graphql.js';
import { BEGIN, codeAt, CONFIRM, DISABLE, REGENERATE, withinOneStep } from '../helpers/mfa.js';
import { linkIn } from '../helpers/smtp.js';
import type { CapturedMail } from '../helpers/smtp.js';
import { useMailServer } from '../helpers/use-server.js';

const DEVICE = 'NoticeTest/1.0 (the device that made the change)';

/** What every security notice says: what happened, when, from which device, what to do. */
function expectNotice(mail: CapturedMail, happened: RegExp, before: Date): void {
  const text = mail.text.replace(/\s+/g, ' ');
  expect(text).toMatch(happened);
  expect(text).toContain(DEVICE);
  expect(text).toContain('IP address 127.0.0.1');
  const when = /When: ([^.]+ GMT)\./.exec(text)?.[1];
  expect(when, text).toBeTruthy();
  // The stated time is the change's: not before the test began (to the second), not in the future.
  expect(new Date(when!).getTime()).toBeGreaterThanOrEqual(Math.floor(before.getTime() / 1000) * 1000);
  expect(new Date(when!).getTime()).toBeLessThanOrEqual(Date.now());
  expect(text).toMatch(/If this was not you: .*(reset your password|undo)/);
}

describe('security notices reach the owner through a real SMTP server (PostgreSQL)', () => {
  const ctx = useMailServer('postgresql', { SIGNUP_MODE: 'immediate' });
  const headers = (accessToken: string) => ({ ...bearer(accessToken), 'user-agent': DEVICE });

  it('mails on second factor on/off, new recovery codes, password change and reset: one mail each', async () => {
    await withinOneStep(20);
    const before = new Date();
    const user = await signUpUser(ctx.server.url);
    const auth = headers(user.accessToken);
    const secret = (await gql(ctx.server.url, BEGIN, {}, auth)).body.data?.beginTotpEnrollment
      .secret as string;
    const confirm = await gql(ctx.server.url, CONFIRM, { code: codeAt(secret, -30) }, auth);
    expect(confirm.body.data?.confirmTotpEnrollment.__typename).toBe('RecoveryCodes');
    expectNotice(
      await ctx.smtp.waitFor(user.email, /Two-factor authentication was turned on/),
      /Two-factor authentication was turned on on your account/,
      before,
    );

    const regenerate = await gql(ctx.server.url, REGENERATE, { code: codeAt(secret) }, auth);
    expect(regenerate.body.data?.regenerateRecoveryCodes.__typename).toBe('RecoveryCodes');
    expectNotice(await ctx.smtp.waitFor(user.email, /New recovery codes/), /old ones no longer work/, before);

    const disable = await gql(ctx.server.url, DISABLE, { code: codeAt(secret, 30) }, auth);
    expect(disable.body.data?.disableTotp).toBe(true);
    expectNotice(
      await ctx.smtp.waitFor(user.email, /Two-factor authentication was turned off/),
      /turned off/,
      before,
    );

    const next = 'a brand new passphrase 77';
    const changed = await gql(ctx.server.url, CHANGE_PASSWORD, { current: user.password, next }, auth);
    expect(changed.body.data?.changePassword.__typename).toBe('PasswordChanged');
    expectNotice(await ctx.smtp.waitFor(user.email, /password was changed/), /password was changed/, before);

    await gql(ctx.server.url, REQUEST_PASSWORD_RESET, { email: user.email });
    const { token } = linkIn(await ctx.smtp.waitFor(user.email, /Reset your password/), '/reset-password');
    const reset = await fetch(`${ctx.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': DEVICE },
      body: JSON.stringify({
        query: RESET_PASSWORD,
        variables: { token, newPassword: 'yet another passphrase 5' },
      }),
    });
    expect(((await reset.json()) as any).data.resetPassword.__typename).toBe('PasswordChanged');
    expectNotice(await ctx.smtp.waitFor(user.email, /password was reset/), /password was reset/, before);

    // One mail per change: the old bare "password changed/reset" mails are not sent besides.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const subjects = ctx.smtp.mailsTo(user.email).map((mail) => mail.subject);
    expect(subjects.filter((s) => /password was (changed|reset)/.test(s))).toHaveLength(2);
  });
});
