import type { EmailChangeNoticeJob, SecurityNoticeEvent, SecurityNoticeJob } from './mail-jobs.js';

/** A composed mail, ready for a transport. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Everything put into HTML is escaped: an address or URL must never become markup. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export type LinkPath =
  | '/verify-email'
  | '/reset-password'
  | '/magic-link'
  | '/recover-mfa'
  | '/confirm-email-change'
  | '/undo-email-change';

/**
 * The token goes in the fragment: a browser never sends a fragment to the server, so no proxy,
 * server or log ever sees it (the page script reads it, then takes it out of the address bar).
 */
export function tokenLink(appUrl: string, path: LinkPath, token: string): string {
  return `${appUrl}${path}#token=${encodeURIComponent(token)}`;
}

interface Body {
  subject: string;
  /** Paragraphs of plain text; the link (if any) goes between the first and the rest. */
  paragraphs: string[];
  link?: { url: string; label: string };
  footer?: string;
}

function render(to: string, body: Body): MailMessage {
  const [lead, ...rest] = body.paragraphs;
  const textParts = [lead ?? ''];
  if (body.link) textParts.push(body.link.url);
  textParts.push(...rest);
  if (body.footer) textParts.push(body.footer);

  const p = (s: string) => `<p>${escapeHtml(s)}</p>`;
  const htmlParts = [p(lead ?? '')];
  if (body.link) {
    const href = escapeHtml(body.link.url);
    htmlParts.push(
      `<p><a href="${href}">${escapeHtml(body.link.label)}</a></p>`,
      `<p style="font-size:small">Or paste this address into your browser: ${href}</p>`,
    );
  }
  htmlParts.push(...rest.map(p));
  if (body.footer) htmlParts.push(`<p style="color:#666;font-size:small">${escapeHtml(body.footer)}</p>`);
  return {
    to,
    subject: body.subject,
    text: `${textParts.join('\n\n')}\n`,
    html: `<!doctype html><html><body style="font-family:sans-serif">${htmlParts.join('')}</body></html>`,
  };
}

const hours = (seconds: number) =>
  seconds >= 7200
    ? `${Math.round(seconds / 3600)} hours`
    : `${Math.max(1, Math.round(seconds / 60))} minutes`;

const IGNORE = 'If you did not ask for this, you can ignore this mail; nothing changes.';

function minutes(seconds: number): string {
  if (seconds >= 7200 && seconds % 3600 === 0) return `${seconds / 3600} hours`;
  return `${Math.round(seconds / 60)} minutes`;
}

export const templates = {
  verifyEmail: (to: string, url: string, ttlSeconds: number): MailMessage =>
    render(to, {
      subject: 'Confirm your email address',
      paragraphs: [
        `Confirm that ${to} is your address by opening this link:`,
        `The link works once and expires in ${minutes(ttlSeconds)}.`,
      ],
      link: { url, label: 'Confirm my email address' },
      footer: IGNORE,
    }),

  signUpExisting: (to: string): MailMessage =>
    render(to, {
      subject: 'Someone tried to sign up with your address',
      paragraphs: [
        `Someone just tried to create an account with ${to}, but you already have one.`,
        'If it was you, sign in instead, or reset your password if you forgot it.',
      ],
      footer: 'If it was not you, no account was created and nothing changed.',
    }),

  passwordReset: (to: string, url: string, ttlSeconds: number): MailMessage =>
    render(to, {
      subject: 'Reset your password',
      paragraphs: [
        'Choose a new password by opening this link:',
        `The link works once and expires in ${minutes(ttlSeconds)}. Resetting signs you out everywhere.`,
      ],
      link: { url, label: 'Choose a new password' },
      footer: IGNORE,
    }),

  mfaRecovery: (to: string, url: string, ttlSeconds: number, delaySeconds: number): MailMessage =>
    render(to, {
      subject: 'Remove your lost second factor',
      paragraphs: [
        'You asked to remove two-factor authentication because you lost your authenticator and your recovery codes. Open this link to start:',
        `The link works once and expires in ${minutes(ttlSeconds)}. After it, the second factor is removed in ${hours(delaySeconds)}, unless you cancel from any signed-in device.`,
      ],
      link: { url, label: 'Start removing the second factor' },
      footer:
        'If you did not ask for this, ignore this mail: nothing changes, and check who knows your password.',
    }),

  magicLink: (to: string, url: string, ttlSeconds: number): MailMessage =>
    render(to, {
      subject: 'Your sign-in link',
      paragraphs: [
        'Sign in by opening this link:',
        `The link works once and expires in ${minutes(ttlSeconds)}. Never forward it.`,
      ],
      link: { url, label: 'Sign in' },
      footer: IGNORE,
    }),

  securityNotice: (to: string, job: SecurityNoticeJob): MailMessage => {
    const what = SECURITY_NOTICE_TEXT[job.event];
    const device = [job.userAgent ?? 'an unknown device', job.ip ? `at IP address ${job.ip}` : null]
      .filter(Boolean)
      .join(' ');
    return render(to, {
      subject: what.subject,
      paragraphs: [
        `${what.happened(job.detail)} on your account ${to}.`,
        `When: ${new Date(job.at).toUTCString()}. From: ${device}.`,
        `If this was not you: ${what.ifNotYou}`,
      ],
    });
  },

  adminInvite: (to: string, url: string, ttlSeconds: number): MailMessage =>
    render(to, {
      subject: 'You have been invited: choose your password',
      paragraphs: [
        `An administrator created an account for ${to}. Choose its password by opening this link:`,
        `The link works once and expires in ${minutes(ttlSeconds)}. Afterwards, use "Forgot password" for a new one.`,
      ],
      link: { url, label: 'Choose my password' },
      footer: 'If you did not expect this, ignore this mail: nobody can sign in without the link.',
    }),

  accountDeleted: (to: string): MailMessage =>
    render(to, {
      subject: 'Your account was deleted',
      paragraphs: [
        `The account ${to} was deleted, and every device was signed out.`,
        'Your address, password and second factors are erased; a pseudonymous security record is kept.',
      ],
    }),

  passwordChanged: (to: string): MailMessage =>
    render(to, {
      subject: 'Your password was changed',
      paragraphs: [
        `The password of your account ${to} was just changed.`,
        'If this was not you, reset your password now: that signs out every device.',
      ],
    }),

  passwordResetDone: (to: string): MailMessage =>
    render(to, {
      subject: 'Your password was reset',
      paragraphs: [
        `The password of your account ${to} was just reset, and every device was signed out.`,
        'If this was not you, reset your password again now and check who can read your mail.',
      ],
    }),

  webhookEndpointDisabled: (to: string, url: string, at: string): MailMessage =>
    render(to, {
      subject: 'A webhook endpoint was disabled',
      paragraphs: [
        `Every delivery to the webhook endpoint ${url} failed for 3 days, so it was disabled at ${new Date(at).toUTCString()}.`,
        'Its failed deliveries are listed by webhookDeliveries. Fix the receiver, then turn the endpoint on again with updateWebhookEndpoint (enabled: true) and redeliver what it missed with redeliverWebhook.',
      ],
    }),

  emailChangeConfirm: (to: string, url: string, ttlSeconds: number): MailMessage =>
    render(to, {
      subject: 'Confirm your new email address',
      paragraphs: [
        `Someone asked to make ${to} the address of their account. Open this link to confirm it (it works once, for ${hours(ttlSeconds)}):`,
        'Until you do, the account keeps its old address.',
      ],
      link: { url, label: 'Confirm the new address' },
      footer: IGNORE,
    }),

  emailChangeNotice: (to: string, job: EmailChangeNoticeJob, url: string, ttlSeconds: number): MailMessage =>
    render(to, {
      subject: 'A change of your email address was requested',
      paragraphs: [
        `At ${new Date(job.at).toUTCString()}, from ${job.ip ?? 'an unknown address'} (${job.userAgent ?? 'unknown device'}), your account ${to} asked to change its address to ${job.newEmail}. Nothing changes until the new address is confirmed.`,
        `If this was not you, open the link below (it works once, for ${Math.round(ttlSeconds / 86_400)} days): it puts ${to} back, signs out every device, removes what that device added and mails you a link to set a new password.`,
      ],
      link: { url, label: 'Undo this change' },
    }),

  emailChangeAddressInUse: (to: string): MailMessage =>
    render(to, {
      subject: 'Someone tried to use your email address',
      paragraphs: [
        `Someone signed in to another account asked to change its address to ${to}, which is the address of your account. Nothing was changed, and your account is not affected.`,
      ],
      footer: 'You need not do anything.',
    }),

  emailVerified: (to: string): MailMessage =>
    render(to, {
      subject: 'Your email address is confirmed',
      paragraphs: [`${to} is now confirmed as the address of your account.`],
      footer: 'If you did not create this account, reset its password to take it over, or ignore this mail.',
    }),
};

const RESET_ADVICE = 'reset your password now (that signs out every device) and review your account page.';

const SECURITY_NOTICE_TEXT: Record<
  SecurityNoticeEvent,
  { subject: string; happened: (detail?: string) => string; ifNotYou: string }
> = {
  'mfa-enabled': {
    subject: 'Two-factor authentication was turned on',
    happened: () => 'Two-factor authentication was turned on',
    ifNotYou: RESET_ADVICE,
  },
  'mfa-disabled': {
    subject: 'Two-factor authentication was turned off',
    happened: () => 'Two-factor authentication was turned off',
    ifNotYou: RESET_ADVICE,
  },
  'recovery-codes-regenerated': {
    subject: 'New recovery codes were made',
    happened: () => 'New recovery codes were made (the old ones no longer work)',
    ifNotYou: RESET_ADVICE,
  },
  'mfa-recovery-started': {
    subject: 'Your second factor will be removed',
    happened: (d) =>
      `A recovery of a lost second factor was started: two-factor authentication will be removed${d ? ` after ${new Date(d).toUTCString()}` : ''}`,
    ifNotYou: `sign in and choose "cancel the recovery" on your account page (any signed-in device can), then ${RESET_ADVICE}`,
  },
  'mfa-recovery-cancelled': {
    subject: 'The removal of your second factor was cancelled',
    happened: () => 'The recovery of a lost second factor was cancelled; two-factor authentication stays on',
    ifNotYou: RESET_ADVICE,
  },
  'mfa-recovery-completed': {
    subject: 'Your second factor was removed',
    happened: () => 'After the waiting period of a recovery, two-factor authentication was removed',
    ifNotYou: `${RESET_ADVICE} Then turn two-factor authentication on again.`,
  },
  'password-changed': {
    subject: 'Your password was changed',
    happened: () => 'The password was changed',
    ifNotYou: RESET_ADVICE,
  },
  'password-reset': {
    subject: 'Your password was reset',
    happened: () => 'The password was reset',
    ifNotYou: 'reset your password again now and check who can read your mail.',
  },
  'email-changed': {
    subject: 'Your email address was changed',
    happened: (d) => `The email address was changed${d ? ` to ${d}` : ''}`,
    ifNotYou: 'use the undo link in the mail we sent, then reset your password.',
  },
  'passkey-added': {
    subject: 'A passkey was added',
    happened: (d) => `A passkey${d ? ` ("${d}")` : ''} was added`,
    ifNotYou: `remove it on your account page, then ${RESET_ADVICE}`,
  },
  'passkey-removed': {
    subject: 'A passkey was removed',
    happened: (d) => `A passkey${d ? ` ("${d}")` : ''} was removed`,
    ifNotYou: RESET_ADVICE,
  },
  'identity-linked': {
    subject: 'A sign-in provider was linked',
    happened: (d) => `A sign-in with ${d ?? 'another provider'} was linked`,
    ifNotYou: `unlink it on your account page, then ${RESET_ADVICE}`,
  },
  'identity-unlinked': {
    subject: 'A sign-in provider was unlinked',
    happened: (d) => `The sign-in with ${d ?? 'another provider'} was unlinked`,
    ifNotYou: RESET_ADVICE,
  },
};
