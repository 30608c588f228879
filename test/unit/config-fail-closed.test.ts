import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { dataDir, problemsOf } from '../helpers/config.js';
import { estimatedEntropyBits } from '../../src/config/secret-checks.js';
import { SmtpTransport } from '../../src/mail/mail-transport.js';
import { banner } from '../../src/startup-banner.js';
import { startSmtpServer } from '../helpers/smtp.js';
import type { TestSmtpServer } from '../helpers/smtp.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://plinto:s7Kq2vLx9PzR4m@db.internal/plinto',
  REDIS_URL: 'redis://:Wq3nZ8rT5yB2kX@cache.internal:6379',
  SMTP_URL: 'smtp://mailer:Hd6Jp1Vc4Nf9Gs@smtp.internal:587',
  APP_URL: 'https://auth.example.com',
  AUTH_SECRET: randomBytes(48).toString('base64'),
};

describe('configuration fails closed', () => {
  it('refuses placeholder and low-entropy secrets in production', () => {
    expect(problemsOf(PRODUCTION)).toEqual([]);
    expect(problemsOf({ ...PRODUCTION, AUTH_SECRET: randomBytes(32).toString('hex') })).toEqual([]);
    for (const secret of [
      'CHANGE_ME_AT_LEAST_32_BYTES_OF_RANDOM_BASE64',
      'changeme-9f8a7d6c5b4a39281706f5e4d3c2b1a0',
      'our-example-auth-value-4b9d2f7a1c8e3h6k5',
      'placeholder/Zq8Xv2Lm7Rt4Wp9Ny3Bc6Hd1Fg5Js0',
      'my-secret-Zq8Xv2Lm7Rt4Wp9Ny3Bc6Hd1Fg5Js0Ae',
    ]) {
      expect(problemsOf({ ...PRODUCTION, AUTH_SECRET: secret }), secret).toEqual([
        'AUTH_SECRET: looks like a placeholder from a template; generate one (openssl rand -base64 48)',
      ]);
    }
    for (const secret of ['a'.repeat(64), 'abcd'.repeat(12), '0123456789'.repeat(4)]) {
      expect(problemsOf({ ...PRODUCTION, AUTH_SECRET: secret }), secret).toEqual([
        'AUTH_SECRET: too little entropy; generate one (openssl rand -base64 48)',
      ]);
    }
    expect(
      problemsOf({
        ...PRODUCTION,
        DATABASE_URL: 'postgres://plinto:CHANGE_ME_POSTGRES_PASSWORD@postgres:5432/plinto',
        REDIS_URL: 'redis://:CHANGE_ME_REDIS_PASSWORD@redis:6379',
        SMTP_URL: 'smtp://USER:CHANGE_ME@smtp.example.com:587',
      }),
    ).toEqual([
      'DATABASE_URL: its password looks like a placeholder from a template',
      'REDIS_URL: its password looks like a placeholder from a template',
      'SMTP_URL: its password looks like a placeholder from a template',
    ]);
    expect(estimatedEntropyBits(randomBytes(48).toString('base64'))).toBeGreaterThan(200);
  });

  it('refuses TRUST_PROXY=true, accepting a hop count or the proxies’ addresses and CIDRs only', () => {
    for (const env of [PRODUCTION, { DATA_DIR: dataDir() }]) {
      expect(problemsOf({ ...env, TRUST_PROXY: 'true' })).toEqual([
        'TRUST_PROXY: "true" would let every client choose its own IP; give a hop count (1) or the proxies\' addresses/CIDRs',
      ]);
    }
    for (const ok of ['1', '2', 'loopback', '10.0.0.0/8, 192.168.1.7', 'fd00::/8,loopback', 'false']) {
      expect(problemsOf({ ...PRODUCTION, TRUST_PROXY: ok }), ok).toEqual([]);
    }
    expect(problemsOf({ ...PRODUCTION, TRUST_PROXY: '10.0.0.0/33, everyone' })).toEqual([
      'TRUST_PROXY: "10.0.0.0/33", "everyone" is not a hop count, address or CIDR',
    ]);
  });

  it('with PostgreSQL but without NODE_ENV=production, refuses the console mail transport and prints the development banner', () => {
    const pg = { DATA_DIR: dataDir(), DATABASE_URL: 'postgres://db.internal/plinto' };
    expect(problemsOf(pg)).toEqual([
      'SMTP_URL: required with a PostgreSQL DATABASE_URL (the console transport is for the embedded SQLite default and tests)',
    ]);
    const withSmtp = loadConfig({ ...pg, SMTP_URL: 'smtp://mail.internal:587' });
    expect(banner(withSmtp, 4000)).toContain('DEVELOPMENT MODE - not for production');
    expect(banner(withSmtp, 4000)).toContain('PostgreSQL, but without NODE_ENV=production');
    // The test suite runs PostgreSQL with the console transport; the embedded default keeps it too.
    expect(problemsOf({ ...pg, NODE_ENV: 'test' })).toEqual([]);
    const embedded = loadConfig({ DATA_DIR: dataDir() });
    expect(banner(embedded, 4000)).toContain('DEVELOPMENT MODE (embedded default)');
    expect(banner(loadConfig(PRODUCTION), 4000)).not.toContain('DEVELOPMENT');
  });

  describe('SMTP in production', () => {
    let smtp: TestSmtpServer; // speaks no STARTTLS
    beforeAll(async () => {
      smtp = await startSmtpServer();
    });
    afterAll(async () => {
      await smtp?.close();
    });
    const message = (to: string) => ({ to, subject: 'Hello', text: 'hi', html: '<p>hi</p>' });

    it('requires TLS of the SMTP server in production unless SMTP_INSECURE=true', async () => {
      const production = loadConfig({ ...PRODUCTION, SMTP_URL: smtp.url });
      expect(production.smtpRequireTls).toBe(true);
      const strict = new SmtpTransport(smtp.url, 'a@b.test', 5000, production.smtpRequireTls);
      await expect(strict.send(message('plain@example.com'))).rejects.toThrow();
      strict.close();
      expect(smtp.mailsTo('plain@example.com')).toEqual([]);

      const insecure = loadConfig({ ...PRODUCTION, SMTP_URL: smtp.url, SMTP_INSECURE: 'true' });
      expect(insecure.smtpRequireTls).toBe(false);
      const lax = new SmtpTransport(smtp.url, 'a@b.test', 5000, insecure.smtpRequireTls);
      await lax.send(message('allowed@example.com'));
      lax.close();
      expect(smtp.mailsTo('allowed@example.com')).toHaveLength(1);
      expect(loadConfig({ DATA_DIR: dataDir(), SMTP_URL: smtp.url }).smtpRequireTls).toBe(false);
    });
  });
});
