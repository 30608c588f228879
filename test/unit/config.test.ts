import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { dataDir, problemsOf } from '../helpers/config.js';

const run = promisify(execFile);

describe('configuration', () => {
  it('runs the embedded default with no configuration at all, keeping one generated dev secret', () => {
    const dir = dataDir();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config).toMatchObject({
      production: false,
      embeddedDefault: true,
      port: 4000,
      database: { kind: 'sqlite', path: join(dir, 'plinto.sqlite') },
      redis: null,
      smtpUrl: null,
      passwordHash: 'bcrypt',
      bcryptCost: 12,
      signupMode: 'verify-first',
      jwtAudience: 'plinto',
      authSecretSource: 'generated-dev-file',
    });
    expect(Buffer.byteLength(config.authSecret)).toBeGreaterThanOrEqual(32);
    expect(loadConfig({ DATA_DIR: dir }).authSecret).toBe(config.authSecret);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('keeps the refresh grace window at 2 seconds unless REFRESH_GRACE_SECONDS says otherwise', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).refreshGraceSeconds).toBe(2);
    expect(loadConfig({ DATA_DIR: dataDir(), REFRESH_GRACE_SECONDS: '5' }).refreshGraceSeconds).toBe(5);
  });

  it('names the refresh cookie __Secure-plinto_refresh under https, plinto_refresh for http development', () => {
    expect(loadConfig({ DATA_DIR: dataDir(), APP_URL: 'https://auth.example' }).refreshCookieName).toBe(
      '__Secure-plinto_refresh',
    );
    expect(loadConfig({ DATA_DIR: dataDir() }).refreshCookieName).toBe('plinto_refresh');
  });

  it('lists every production problem at once', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      DATABASE_URL: 'sqlite:./x.sqlite',
      AUTH_SECRET: 'short',
    });
    expect(problems).toEqual([
      'DATABASE_URL: production needs PostgreSQL (postgres://…)',
      'REDIS_URL: required in production (rate limits shared by every replica)',
      'SMTP_URL: required in production (verification and reset mails)',
      'APP_URL: required in production (issuer and email links)',
      'AUTH_SECRET: required in production, at least 32 bytes',
    ]);
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u@db/plinto',
      REDIS_URL: 'redis://cache:6379',
      SMTP_URL: 'smtp://mail:25',
      APP_URL: 'https://auth.example.com/',
      AUTH_SECRET: 'kV3q9Lm2Xz7Rt5Wp8Ny4Bc6Hd1Fg0Js-AeQu',
      TRUST_PROXY: '10.0.0.0/8',
      CORS_ORIGINS: 'https://app.example.com, https://admin.example.com',
      RATE_LIMITS: 'signIn=10/60',
    });
    expect(config.appUrl).toBe('https://auth.example.com');
    expect(config.trustProxy).toBe('10.0.0.0/8');
    expect(config.corsOrigins).toEqual(['https://app.example.com', 'https://admin.example.com']);
    expect(config.rateLimitOverrides).toEqual({ signIn: { limit: 10, durationSeconds: 60 } });
  });

  it('migrates at start only outside production unless MIGRATE_ON_START says so', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:Vb8sQ2kLm4Tz@db/plinto',
      REDIS_URL: 'redis://cache:6379',
      SMTP_URL: 'smtp://mail:25',
      APP_URL: 'https://auth.example.com',
      AUTH_SECRET: 'Qm9vN3RzdHJhcC1yYW5kb20tc2VjcmV0LWZvci10ZXN0aW5nLW9ubHk4Zk',
    };
    expect(loadConfig(production).migrateOnStart).toBe(false);
    expect(loadConfig({ ...production, MIGRATE_ON_START: 'true' }).migrateOnStart).toBe(true);
    expect(loadConfig({ DATA_DIR: dataDir() }).migrateOnStart).toBe(true);
    expect(loadConfig({ DATA_DIR: dataDir(), MIGRATE_ON_START: 'false' }).migrateOnStart).toBe(false);
    expect(problemsOf({ DATA_DIR: dataDir(), MIGRATE_ON_START: 'sometimes' })[0]).toMatch(
      /^MIGRATE_ON_START: /,
    );
  });

  it('accepts AUTH_SECRET_PREVIOUS only as a second strong secret beside AUTH_SECRET', () => {
    const base = { DATA_DIR: dataDir(), AUTH_SECRET: 'n'.repeat(32) };
    expect(loadConfig({ ...base, AUTH_SECRET_PREVIOUS: 'o'.repeat(32) }).authSecretPrevious).toBe(
      'o'.repeat(32),
    );
    expect(loadConfig(base).authSecretPrevious).toBeNull();
    expect(problemsOf({ ...base, AUTH_SECRET_PREVIOUS: 'short' })).toEqual([
      'AUTH_SECRET_PREVIOUS: at least 32 bytes (the old AUTH_SECRET, while re-sealing)',
    ]);
    expect(problemsOf({ ...base, AUTH_SECRET_PREVIOUS: 'n'.repeat(32) })).toEqual([
      'AUTH_SECRET_PREVIOUS: must differ from AUTH_SECRET (it is the secret being rotated away from)',
    ]);
    expect(problemsOf({ DATA_DIR: dataDir(), AUTH_SECRET_PREVIOUS: 'o'.repeat(32) })).toEqual([
      'AUTH_SECRET_PREVIOUS: needs AUTH_SECRET (the new secret) as well',
    ]);
  });

  it('rejects malformed values with the variable named', () => {
    expect(problemsOf({ DATA_DIR: dataDir(), PORT: 'eighty' })[0]).toMatch(/^PORT: /);
    expect(problemsOf({ DATA_DIR: dataDir(), PASSWORD_HASH: 'md5' })[0]).toMatch(/^PASSWORD_HASH: /);
    expect(problemsOf({ DATA_DIR: dataDir(), DATABASE_URL: 'mysql://x' })).toEqual([
      'DATABASE_URL: must be postgres://… or sqlite:PATH',
    ]);
    expect(problemsOf({ DATA_DIR: dataDir(), CORS_ORIGINS: '*' })).toEqual([
      'CORS_ORIGINS: "*" is not an origin',
    ]);
    expect(problemsOf({ DATA_DIR: dataDir(), RATE_LIMITS: 'signIn=lots' })[0]).toMatch(/^RATE_LIMITS: /);
  });

  it('sweeps expired rows hourly by default, keeping ended sessions 30 days, tokens 1 day and refused mail 7', () => {
    expect(loadConfig({ DATA_DIR: dataDir() })).toMatchObject({
      cleanupIntervalSeconds: 3600,
      sessionRetentionDays: 30,
      tokenRetentionDays: 1,
      failedMailRetentionDays: 7,
    });
    expect(
      loadConfig({
        DATA_DIR: dataDir(),
        CLEANUP_INTERVAL_SECONDS: '0',
        SESSION_RETENTION_DAYS: '90',
        TOKEN_RETENTION_DAYS: '0',
        FAILED_MAIL_RETENTION_DAYS: '14',
      }),
    ).toMatchObject({
      cleanupIntervalSeconds: 0,
      sessionRetentionDays: 90,
      tokenRetentionDays: 0,
      failedMailRetentionDays: 14,
    });
  });

  it('rejects malformed clean-up settings, naming every one at once', () => {
    const problems = problemsOf({
      DATA_DIR: dataDir(),
      CLEANUP_INTERVAL_SECONDS: 'hourly',
      SESSION_RETENTION_DAYS: '-1',
      TOKEN_RETENTION_DAYS: '1.5',
      FAILED_MAIL_RETENTION_DAYS: '3651',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'CLEANUP_INTERVAL_SECONDS',
      'SESSION_RETENTION_DAYS',
      'TOKEN_RETENTION_DAYS',
      'FAILED_MAIL_RETENTION_DAYS',
    ]);
    expect(problemsOf({ DATA_DIR: dataDir(), CLEANUP_INTERVAL_SECONDS: '86401' })[0]).toMatch(
      /^CLEANUP_INTERVAL_SECONDS: /,
    );
  });

  it('sizes the PostgreSQL pool and the signing-key re-read from the environment, within bounds', () => {
    const pg = {
      DATA_DIR: dataDir(),
      DATABASE_URL: 'postgres://db.internal/plinto',
      SMTP_URL: 'smtp://mail.internal:587',
    };
    expect(loadConfig(pg)).toMatchObject({
      database: { kind: 'postgresql', poolMax: 10 },
      signingKeyReloadSeconds: 60,
    });
    expect(loadConfig({ ...pg, DATABASE_POOL_MAX: '25', SIGNING_KEY_RELOAD_SECONDS: '5' })).toMatchObject({
      database: { kind: 'postgresql', poolMax: 25 },
      signingKeyReloadSeconds: 5,
    });
    const problems = problemsOf({ ...pg, DATABASE_POOL_MAX: '0', SIGNING_KEY_RELOAD_SECONDS: 'soon' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'DATABASE_POOL_MAX',
      'SIGNING_KEY_RELOAD_SECONDS',
    ]);
  });

  it('refuses to start in production with missing configuration: non-zero exit, every problem listed', async () => {
    const result = await run('node_modules/.bin/tsx', ['src/main.ts'], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', DATA_DIR: dataDir() },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'SMTP_URL', 'APP_URL', 'AUTH_SECRET']) {
      expect(result.stderr).toContain(`  - ${name}:`);
    }
    expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });
});
