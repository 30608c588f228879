import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryLivenessCache, RedisLivenessCache } from '../../src/auth/liveness-cache.js';
import { MemoryFailureStore, RedisFailureStore } from '../../src/auth/login-failure-store.js';
import type { FailurePolicy } from '../../src/auth/login-failure-store.js';
import { redisUrl } from '../helpers/global-setup.js';

/**
 * The edges of the in-process stores (embedded mode, Redis outage) and of their Redis twins that
 * mutation testing showed no test pinned: expiry boundaries, bounded memory, foreign values.
 */
const POLICY: FailurePolicy = {
  freeFailures: 3,
  baseDelaySeconds: 1,
  maxDelaySeconds: 60,
  hardLimit: 10,
  retentionSeconds: 60,
};

const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
const prefix = `plinto-test-stores-${randomBytes(4).toString('hex')}:`;
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryFailureStore', () => {
  it('keeps a record until its retention has passed, to the millisecond', async () => {
    const store = new MemoryFailureStore();
    await store.recordFailure('k', 0, POLICY);
    expect(await store.get('k', 59_999)).toEqual({ failures: 1, lockedUntilMs: 0 });
    expect(await store.get('k', 60_000)).toBeNull();
    // Expired: the next failure counts from one again.
    expect((await store.recordFailure('k', 60_000, POLICY)).failures).toBe(1);
  });

  it('sets no lock for the free failures, then locks from the moment of the failure', async () => {
    const store = new MemoryFailureStore();
    expect(await store.recordFailure('k', 1_000, POLICY)).toEqual({ failures: 1, lockedUntilMs: 0 });
    expect(await store.recordFailure('k', 2_000, POLICY)).toEqual({ failures: 2, lockedUntilMs: 0 });
    expect(await store.recordFailure('k', 3_000, POLICY)).toEqual({ failures: 3, lockedUntilMs: 4_000 });
  });

  it('bounds its memory: past 100,000 records it drops the expired ones', async () => {
    const store = new MemoryFailureStore();
    const size = () => (store as unknown as { records: Map<string, unknown> }).records.size;
    for (let i = 0; i < 100_000; i += 1) await store.recordFailure(`old-${i}`, 0, POLICY);
    // Exactly 100,000 live ones plus one: nothing is expired yet, nothing goes.
    await store.recordFailure('fresh-0', 1_000, POLICY);
    expect(size()).toBe(100_001);
    // After the retention: one more record sweeps every expired one out.
    await store.recordFailure('fresh-1', 60_000, POLICY);
    expect(size()).toBe(2);
    expect(await store.get('fresh-0', 60_000)).not.toBeNull();
  });
});

describe('RedisFailureStore', () => {
  it('has no record for an account that never failed', async () => {
    await redis.connect().catch(() => undefined);
    expect(await new RedisFailureStore(redis).get(`${prefix}never`)).toBeNull();
  });

  it('reads several records in their order and deletes several keys, like the memory store', async () => {
    await redis.connect().catch(() => undefined);
    const keys = [`${prefix}many-a`, `${prefix}many-never`, `${prefix}many-b`];
    for (const store of [new RedisFailureStore(redis), new MemoryFailureStore()]) {
      for (let i = 0; i < 3; i += 1) await store.recordFailure(keys[0]!, 5_000, POLICY);
      await store.recordFailure(keys[2]!, 5_000, POLICY);
      expect(await store.getMany(keys, 5_000)).toEqual([
        { failures: 3, lockedUntilMs: 6_000 },
        null,
        { failures: 1, lockedUntilMs: 0 },
      ]);
      expect(await store.getMany([keys[2]!], 5_000)).toEqual([{ failures: 1, lockedUntilMs: 0 }]);
      await store.delete(keys[0]!, keys[2]!);
      expect(await store.getMany(keys, 5_000)).toEqual([null, null, null]);
    }
  });
});

describe('MemoryLivenessCache', () => {
  it('answers until the entry’s time is up, to the millisecond', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const cache = new MemoryLivenessCache();
    await cache.set('s', 'revoked', 1);
    vi.setSystemTime(1_000_999);
    expect(await cache.get('s')).toBe('revoked');
    vi.setSystemTime(1_001_000);
    expect(await cache.get('s')).toBeNull();
  });

  it('holds up to 100,000 entries and starts again when over (misses fall back to the database)', async () => {
    const cache = new MemoryLivenessCache();
    for (let i = 0; i < 100_000; i += 1) await cache.set(`s-${i}`, 'live', 60);
    await cache.set('one-more', 'live', 60);
    expect(await cache.get('s-0')).toBe('live');
    await cache.set('and-another', 'revoked', 60);
    expect(await cache.get('s-0')).toBeNull();
    expect(await cache.get('and-another')).toBe('revoked');
  });

  it('keeps a user’s profile and generation until their time is up, to the millisecond', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const cache = new MemoryLivenessCache();
    await cache.fillProfile('u', 'profile:test', '', '{"email":"a@example.com"}', 1);
    vi.setSystemTime(1_000_999);
    expect((await cache.lookup('s', 'u', 'profile:test')).profile).toEqual({
      kind: 'hit',
      json: '{"email":"a@example.com"}',
    });
    vi.setSystemTime(1_001_000);
    expect((await cache.lookup('s', 'u', 'profile:test')).profile).toMatchObject({ kind: 'miss', tag: '' });
  });

  it('holds up to 100,000 users and starts again when over (misses fall back to the database)', async () => {
    const cache = new MemoryLivenessCache();
    await cache.fillProfile('u-0', 'profile:test', '', '{}', 60);
    for (let i = 1; i < 100_000; i += 1) await cache.invalidateUser(`u-${i}`, 60);
    await cache.invalidateUser('one-more', 60);
    expect((await cache.lookup('s', 'u-0', 'profile:test')).profile.kind).toBe('hit');
    await cache.invalidateUser('and-another', 60);
    expect((await cache.lookup('s', 'u-0', 'profile:test')).profile.kind).toBe('miss');
  });
});

describe('RedisLivenessCache', () => {
  it('ignores a value it did not write, and keeps entries for their whole time to live', async () => {
    await redis.connect().catch(() => undefined);
    const cache = new RedisLivenessCache(redis, prefix);
    await redis.set(`${prefix}session:foreign`, 'maybe');
    expect(await cache.get('foreign')).toBeNull();
    await cache.set('long', 'revoked', 120);
    expect(await redis.ttl(`${prefix}session:long`)).toBeGreaterThan(60);
    await cache.set('short', 'live', 0.2);
    expect(await redis.ttl(`${prefix}session:short`)).toBe(1);
  });
});
