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

  it('never serves a profile read before a write of the user row, whatever the order of fill and invalidation', async () => {
    const store = cache();
    const sessionId = randomUUID();
    const userId = randomUUID();
    const field = 'profile:test';
    const first = await store.lookup(sessionId, userId, field);
    expect(first.profile.kind).toBe('miss');
    const tag = first.profile.kind === 'miss' ? first.profile.tag : null;
    expect(tag).not.toBeNull();
    // The race: a me read the old row, the write committed and invalidated, then the me filled.
    expect(await store.invalidateUser(userId, 60)).toBe(true);
    await store.fillProfile(userId, field, tag!, '{"email":"old@example.com"}', 60);
    const afterRace = await store.lookup(sessionId, userId, field);
    expect(afterRace.profile.kind).toBe('miss');

    // A fill with the current generation is served, until the next write.
    const current = afterRace.profile.kind === 'miss' ? afterRace.profile.tag : null;
    await store.fillProfile(userId, field, current!, '{"email":"new@example.com"}', 60);
    expect((await store.lookup(sessionId, userId, field)).profile).toEqual({
      kind: 'hit',
      json: '{"email":"new@example.com"}',
    });
    await store.invalidateUser(userId, 60);
    expect((await store.lookup(sessionId, userId, field)).profile.kind).toBe('miss');
    // Another format of the profile (another release's query) never reads this entry.
    await store.fillProfile(userId, 'profile:other', current!, '{}', 60);
    expect((await store.lookup(sessionId, userId, 'profile:other')).profile.kind).toBe('miss');
  });

  it('answers the liveness and the profile in one lookup', async () => {
    const store = cache();
    const sessionId = randomUUID();
    const userId = randomUUID();
    await store.set(sessionId, 'live', 60);
    const { liveness, profile } = await store.lookup(sessionId, userId, 'profile:test');
    expect(liveness).toBe('live');
    expect(profile.kind).toBe('miss');
    await store.set(sessionId, 'revoked', 60);
    expect((await store.lookup(sessionId, userId, 'profile:test')).liveness).toBe('revoked');
  });
});

describe('session liveness cache (redis): one command a lookup', () => {
  it('reads liveness, generation and profile with one command, also from a server that has not seen the script', async () => {
    const client = new Redis(redisUrl());
    try {
      const store = new RedisLivenessCache(client, `plinto-test-${randomBytes(4).toString('hex')}:`);
      const sessionId = randomUUID();
      const userId = randomUUID();
      await store.set(sessionId, 'live', 60);
      const miss = await store.lookup(sessionId, userId, 'profile:test');
      const tag = miss.profile.kind === 'miss' ? miss.profile.tag : null;
      await store.fillProfile(userId, 'profile:test', tag!, '{"email":"a@example.com"}', 60);
      // A restarted or promoted Redis knows no scripts: the lookup must still answer (EVAL fallback).
      await client.script('FLUSH');
      const sent: string[] = [];
      const original = client.sendCommand.bind(client);
      client.sendCommand = ((command: { name: string }) => {
        sent.push(command.name);
        return original(command as never);
      }) as typeof client.sendCommand;
      expect(await store.lookup(sessionId, userId, 'profile:test')).toEqual({
        liveness: 'live',
        profile: { kind: 'hit', json: '{"email":"a@example.com"}' },
      });
      sent.length = 0;
      await store.set(sessionId, 'revoked', 60);
      sent.length = 0;
      const revoked = await store.lookup(sessionId, userId, 'profile:test');
      expect(revoked.liveness).toBe('revoked');
      expect(sent).toEqual(['evalsha']);
    } finally {
      client.disconnect();
    }
  });

  it('reads a Redis failure as a miss that must not be filled', async () => {
    const client = new Redis(redisUrl(), { lazyConnect: true, enableOfflineQueue: false });
    const store = new RedisLivenessCache(client, 'plinto-test-offline:');
    const { liveness, profile } = await store.lookup(randomUUID(), randomUUID(), 'profile:test');
    expect(liveness).toBeNull();
    expect(profile).toMatchObject({ kind: 'miss', tag: null });
    // The other reads and writes fail quietly too: no liveness, and an invalidation reported as not
    // written (so that PrimaryScopedLiveness writes it again once Redis is back).
    expect(await store.get(randomUUID())).toBeNull();
    expect(await store.invalidateUser(randomUUID(), 60)).toBe(false);
    client.disconnect();
  });

  it('reads only the values it writes, whatever the lookup finds under its keys', async () => {
    const prefix = `plinto-test-${randomBytes(4).toString('hex')}:`;
    const store = new RedisLivenessCache(redis, prefix);
    const sessionId = randomUUID();
    const userId = randomUUID();
    await redis.set(`${prefix}session:${sessionId}`, 'maybe', 'EX', 60);
    // An entry without the generation line (not written by fillProfile) is no profile.
    await redis.hset(`${prefix}user:${userId}`, 'profile:test', '{"email":"x@example.com"}');
    await redis.expire(`${prefix}user:${userId}`, 60);
    expect(await store.lookup(sessionId, userId, 'profile:test')).toMatchObject({
      liveness: null,
      profile: { kind: 'miss', tag: '' },
    });
    // Nor is one shorter than its tag line could be (one character, no newline).
    await redis.hset(`${prefix}user:${userId}`, 'profile:short', '1');
    expect((await store.lookup(sessionId, userId, 'profile:short')).profile).toMatchObject({
      kind: 'miss',
      tag: '',
    });
  });

  it('reads a user without a generation as the tag "", the format another replica fills', async () => {
    const prefix = `plinto-test-${randomBytes(4).toString('hex')}:`;
    const store = new RedisLivenessCache(redis, prefix);
    const userId = randomUUID();
    const miss = await store.lookup(randomUUID(), userId, 'profile:test');
    expect(miss.profile).toMatchObject({ kind: 'miss', tag: '' });
    // `<tag>\n<json>` with the empty tag: what a fill after such a miss writes, on any replica.
    await redis.hset(`${prefix}user:${userId}`, 'profile:test', '\n{"email":"a@example.com"}');
    await redis.expire(`${prefix}user:${userId}`, 60);
    expect((await store.lookup(randomUUID(), userId, 'profile:test')).profile).toEqual({
      kind: 'hit',
      json: '{"email":"a@example.com"}',
    });
  });

  it('keeps the profile and the generation for their whole time to live', async () => {
    const prefix = `plinto-test-${randomBytes(4).toString('hex')}:`;
    const store = new RedisLivenessCache(redis, prefix);
    const filled = randomUUID();
    await store.fillProfile(filled, 'profile:test', '', '{}', 120);
    expect(await redis.ttl(`${prefix}user:${filled}`)).toBeGreaterThan(60);
    const invalidated = randomUUID();
    expect(await store.invalidateUser(invalidated, 120)).toBe(true);
    expect(await redis.ttl(`${prefix}user:${invalidated}`)).toBeGreaterThan(60);
  });

  it('reports an invalidation that Redis refused as not written', async () => {
    const prefix = `plinto-test-${randomBytes(4).toString('hex')}:`;
    const store = new RedisLivenessCache(redis, prefix);
    const userId = randomUUID();
    // A key of another type: HSET fails (WRONGTYPE) inside the transaction, EXPIRE succeeds.
    await redis.set(`${prefix}user:${userId}`, 'not a hash', 'EX', 60);
    expect(await store.invalidateUser(userId, 60)).toBe(false);
    await redis.del(`${prefix}user:${userId}`);
    expect(await store.invalidateUser(userId, 60)).toBe(true);
  });
});
