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
    await store.invalidateUser(userId, 60);
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
    client.disconnect();
  });
});
