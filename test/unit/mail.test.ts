import { describe, expect, it } from 'vitest';
import { MailSender } from '../../src/mail/mail-sender.js';
import type { MailSenderSettings } from '../../src/mail/mail-sender.js';
import { describeFailure, isPermanentFailure } from '../../src/mail/mail-transport.js';
import { escapeHtml, templates, tokenLink } from '../../src/mail/templates.js';

describe('mail templates', () => {
  it('escapes everything user-derived in HTML and keeps the text part plain', () => {
    const to = `"><script>alert(1)</script>'&@example.com`;
    const mail = templates.passwordChanged(to);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain(escapeHtml(to));
    expect(mail.text).toContain(to);
  });

  it('builds links from APP_URL with the token in the fragment, which never reaches a server or log', () => {
    const url = tokenLink('https://auth.example.com', '/reset-password', 'abc_DEF-123');
    expect(url).toBe('https://auth.example.com/reset-password#token=abc_DEF-123');
    // What a browser sends for it: the path only.
    const parsed = new URL(url);
    expect(`${parsed.pathname}${parsed.search}`).toBe('/reset-password');
    const mail = templates.passwordReset('a@example.com', url, 1800);
    expect(mail.text).toContain(url);
    expect(mail.text).toContain('30 minutes');
    expect(mail.html).toContain(`href="${url}"`);
    expect(templates.verifyEmail('a@example.com', url, 86400).text).toContain('24 hours');
  });
});

describe('mail delivery retries', () => {
  const settings: MailSenderSettings = {
    pollIntervalMs: 1000,
    retryBaseMs: 1000,
    retryMaxMs: 60_000,
    leaseMs: 120_000,
    batchSize: 20,
  };
  const sender = Object.create(MailSender.prototype) as MailSender;
  Object.assign(sender, { settings });

  it('backs off exponentially with jitter, up to the cap', () => {
    for (const [attempts, nominal] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
      [6, 32_000],
      [7, 60_000],
      [50, 60_000],
    ] as const) {
      const delay = sender.backoffMs(attempts);
      expect(delay).toBeGreaterThanOrEqual(nominal * 0.8);
      expect(delay).toBeLessThanOrEqual(nominal * 1.2);
    }
  });

  it('gives up only on a permanent refusal, and describes failures without their text', () => {
    expect(isPermanentFailure({ responseCode: 550 })).toBe(true);
    expect(isPermanentFailure({ responseCode: 451 })).toBe(false);
    expect(isPermanentFailure(new Error('ECONNREFUSED'))).toBe(false);
    const described = describeFailure(
      Object.assign(new Error('550 no such user token=secret'), { code: 'EENVELOPE', responseCode: 550 }),
    );
    expect(described).toBe('EENVELOPE 550');
  });
});
