import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { problemsOf } from '../helpers/config.js';

const base = () => ({ DATA_DIR: mkdtempSync(join(tmpdir(), 'plinto-redis-config-')) });

describe('Redis topology configuration', () => {
  it('reads redis://, and rediss:// with a private CA from a PEM file', () => {
    expect(loadConfig({ ...base(), REDIS_URL: 'redis://:pw@cache:6379/2' }).redis).toEqual({
      kind: 'url',
      url: 'redis://:pw@cache:6379/2',
      tls: false,
      tlsCa: null,
    });
    const dir = mkdtempSync(join(tmpdir(), 'plinto-ca-'));
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(join(dir, 'ca.pem'), pem);
    expect(
      loadConfig({ ...base(), REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CA: join(dir, 'ca.pem') }).redis,
    ).toEqual({ kind: 'url', url: 'rediss://cache:6380', tls: true, tlsCa: pem });
    writeFileSync(join(dir, 'not.pem'), 'hello');
    expect(problemsOf({ ...base(), REDIS_URL: 'rediss://c', REDIS_TLS_CA: join(dir, 'not.pem') })).toEqual([
      'REDIS_TLS_CA: the file holds no PEM certificate',
    ]);
    expect(
      problemsOf({ ...base(), REDIS_URL: 'rediss://c', REDIS_TLS_CA: join(dir, 'missing.pem') }),
    ).toEqual(['REDIS_TLS_CA: cannot read the file']);
    expect(problemsOf({ ...base(), REDIS_URL: 'redis://c', REDIS_TLS_CA: join(dir, 'ca.pem') })).toEqual([
      'REDIS_TLS_CA: applies to a rediss:// REDIS_URL only',
    ]);
  });

  it('reads Sentinel addresses, the primary name and both passwords', () => {
    const config = loadConfig({
      ...base(),
      REDIS_SENTINELS: 'sentinel-0:26379, sentinel-1 ,[::1]:26380',
      REDIS_SENTINEL_NAME: 'plinto',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      REDIS_PASSWORD: 'data-secret',
    });
    expect(config.redis).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 'sentinel-0', port: 26379 },
        { host: 'sentinel-1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'plinto',
      sentinelPassword: 'sentinel-secret',
      password: 'data-secret',
    });
  });

  it('names every inconsistent combination', () => {
    expect(problemsOf({ ...base(), REDIS_URL: 'redis://c', REDIS_SENTINELS: 's:26379' })).toEqual([
      'REDIS_SENTINELS: set either REDIS_URL or REDIS_SENTINELS, not both',
    ]);
    expect(problemsOf({ ...base(), REDIS_SENTINELS: 's:26379' })).toEqual([
      'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the monitored primary’s name)',
    ]);
    expect(problemsOf({ ...base(), REDIS_SENTINELS: 's:99999', REDIS_SENTINEL_NAME: 'p' })).toEqual([
      'REDIS_SENTINELS: "s:99999" is not host:port',
    ]);
    expect(
      problemsOf({ ...base(), REDIS_URL: 'redis://c', REDIS_SENTINEL_NAME: 'p', REDIS_PASSWORD: 'x' }),
    ).toEqual([
      'REDIS_SENTINEL_NAME: applies only with REDIS_SENTINELS',
      'REDIS_PASSWORD: applies only with REDIS_SENTINELS (put it in REDIS_URL otherwise)',
    ]);
  });

  it('accepts Sentinel in place of REDIS_URL in production', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u@db/plinto',
      REDIS_SENTINELS: 'a:26379,b:26379,c:26379',
      REDIS_SENTINEL_NAME: 'plinto',
      SMTP_URL: 'smtp://mail:25',
      APP_URL: 'https://auth.example.com',
      AUTH_SECRET: randomBytes(32).toString('base64url'),
    });
    expect(config.redis?.kind).toBe('sentinel');
    // An empty REDIS_URL (a compose override blanking the env file's) counts as unset.
    expect(
      loadConfig({ ...base(), REDIS_URL: '', REDIS_SENTINELS: 's', REDIS_SENTINEL_NAME: 'p' }).redis?.kind,
    ).toBe('sentinel');
  });
});
