import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { LoginFailureCounter } from '../../src/auth/login-failure-counter.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { KeyedHash, REDIS_EMAIL_KEY_LABEL } from '../../src/security/crypto.js';
import { redisUrl } from '../helpers/global-setup.js';

/** What mutation testing showed the counter's own tests left open: its Redis key and its metric. */
const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
const prefix = `plinto-test-lfc-${randomBytes(4).toString('hex')}:`;
const emailHash = new KeyedHash('a-test-secret-that-is-long-enough-0123', REDIS_EMAIL_KEY_LABEL);
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const lockouts = async (metrics: Metrics) =>
  (await metrics.lockouts.get()).values.map((v) => ({ kind: v.labels.kind, value: v.value }));

describe('LoginFailureCounter edges', () => {
  it('keeps its count in Redis under the prefix and the keyed hash of the normalised email, never the address', async () => {
    await redis.connect().catch(() => undefined);
    const counter = new LoginFailureCounter(redis, prefix, new Metrics(), createLogger('silent'), emailHash);
    await counter.recordFailure('  Victim@Example.com ');
    expect(await counter.recordFailure('victim@example.com')).toBe(2);
    const keys = await redis.keys(`${prefix}*`);
    // The account's key, and (issue 17: delays per account and client) its per-client key and index.
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key.startsWith(`${prefix}login-failures`)).toBe(true);
      expect(key).toContain(emailHash.hex('victim@example.com'));
    }
    expect(keys).toContain(`${prefix}login-failures:${emailHash.hex('victim@example.com')}`);
    expect(keys.join()).not.toContain('victim');
    await counter.clear('VICTIM@example.com');
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
  });

  it('counts a refused check in plinto_lockouts_total under its kind (sign_in unless told)', async () => {
    let now = Date.UTC(2030, 0, 1);
    const policy = {
      freeFailures: 1,
      baseDelaySeconds: 60,
      maxDelaySeconds: 60,
      hardLimit: 10,
      retentionSeconds: 600,
    };
    const signIn = new Metrics();
    const plain = new LoginFailureCounter(null, prefix, signIn, createLogger('silent'), emailHash, {
      policy,
      now: () => now,
    });
    expect(await plain.check('a@example.com')).toEqual({ allowed: true });
    expect(await lockouts(signIn)).toEqual([]);
    await plain.recordFailure('a@example.com');
    now += 1_000;
    expect(await plain.check('a@example.com')).toEqual({ allowed: false, retryAfterSeconds: 59 });
    expect(await lockouts(signIn)).toEqual([{ kind: 'sign_in', value: 1 }]);

    const mfa = new Metrics();
    const factor = new LoginFailureCounter(null, prefix, mfa, createLogger('silent'), emailHash, {
      policy,
      now: () => now,
      kind: 'second_factor',
    });
    await factor.recordFailure('a@example.com');
    expect((await factor.check('a@example.com')).allowed).toBe(false);
    expect(await lockouts(mfa)).toEqual([{ kind: 'second_factor', value: 1 }]);
  });
});
