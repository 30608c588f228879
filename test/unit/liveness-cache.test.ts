import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryLivenessCache, RedisLivenessCache } from '../../src/auth/liveness-cache.js';
import { redisUrl } from '../helpers/global-setup.js';

const redis = new Redis(redisUrl());
afterAll(() => redis.disconnect());

describe.each(['redis', 'memory'] as const)('session liveness cache (%s)', (kind) => {
  const cache = () =>
    kind === 'redis'
      ? new RedisLivenessCache(redis, `plinto-test-${randomBytes(4).toString('hex')}:`)
      : new MemoryLivenessCache();

  it('never sets a revoked session back to live (a check that read the database before the revocation committed)', async () => {
    const liveness = cache();
    const sessionId = randomUUID();
    // The race: a check reads the session as live, the revocation commits and caches 'revoked',
    // then the check caches what it read.
    await liveness.set(sessionId, 'revoked', 960);
    await liveness.set(sessionId, 'live', 60);
    expect(await liveness.get(sessionId)).toBe('revoked');

    // The other order is a plain revocation: 'revoked' overwrites 'live'.
    const other = randomUUID();
    await liveness.set(other, 'live', 60);
    expect(await liveness.get(other)).toBe('live');
    await liveness.set(other, 'revoked', 960);
    expect(await liveness.get(other)).toBe('revoked');
    await liveness.set(other, 'live', 60);
    expect(await liveness.get(other)).toBe('revoked');
  });
});
