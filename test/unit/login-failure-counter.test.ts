import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_FAILURE_POLICY, LoginFailureCounter } from '../../src/auth/login-failure-counter.js';
import { lockSecondsAfter } from '../../src/auth/login-failure-store.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { KeyedHash, REDIS_EMAIL_KEY_LABEL } from '../../src/security/crypto.js';
import { redisUrl } from '../helpers/global-setup.js';

describe('lockSecondsAfter', () => {
  it('is free for 4 failures, then doubles from 30 s up to an hour, then locks at 100', () => {
    const waits = [1, 4, 5, 6, 7, 11, 12, 50, 99, 100, 150].map((n) =>
      lockSecondsAfter(n, DEFAULT_FAILURE_POLICY),
    );
    expect(waits).toEqual([0, 0, 30, 60, 120, 1920, 3600, 3600, 3600, 30 * 86400, 30 * 86400]);
  });
});

const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
afterAll(() => redis.disconnect());

describe.each(['redis', 'memory'] as const)('LoginFailureCounter (%s store)', (store) => {
  function counter() {
    let now = Date.UTC(2030, 0, 1);
    const instance = new LoginFailureCounter(
      store === 'redis' ? redis : null,
      `plinto-test-${randomBytes(4).toString('hex')}:`,
      new Metrics(),
      createLogger('silent'),
      new KeyedHash('a-test-secret-that-is-long-enough-0123', REDIS_EMAIL_KEY_LABEL),
      { now: () => now },
    );
    return { instance, advance: (seconds: number) => (now += seconds * 1000) };
  }

  it('grows the delay with each failure after the fifth', async () => {
    const { instance, advance } = counter();
    const email = 'Victim@Example.com';
    for (let i = 0; i < 4; i += 1) await instance.recordFailure(email);
    expect(await instance.check(email)).toEqual({ allowed: true });
    await instance.recordFailure(email);
    expect(await instance.check('victim@example.com')).toEqual({ allowed: false, retryAfterSeconds: 30 });
    advance(30);
    expect(await instance.check(email)).toEqual({ allowed: true });
    await instance.recordFailure(email);
    expect(await instance.check(email)).toEqual({ allowed: false, retryAfterSeconds: 60 });
    advance(45);
    expect(await instance.check(email)).toEqual({ allowed: false, retryAfterSeconds: 15 });
  });

  it('allows no more than 100 consecutive failures without a reset, and clear() resets', async () => {
    const { instance, advance } = counter();
    const email = 'target@example.com';
    let failures = 0;
    // Play the attacker who waits out every delay: after 100 failures the wait is the whole retention.
    while (failures < 100) {
      const gate = await instance.check(email);
      if (!gate.allowed) {
        expect(gate.retryAfterSeconds).toBeLessThanOrEqual(3600);
        advance(gate.retryAfterSeconds);
        continue;
      }
      failures = await instance.recordFailure(email);
    }
    expect(failures).toBe(100);
    const locked = await instance.check(email);
    expect(locked).toEqual({ allowed: false, retryAfterSeconds: 30 * 86400 });
    advance(7 * 86400);
    expect((await instance.check(email)).allowed).toBe(false);
    await instance.clear(email);
    expect(await instance.check(email)).toEqual({ allowed: true });
  });
});
