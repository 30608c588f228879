import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import {
  closeRedisClient,
  createRedisClient,
  REDIS_RESTART_DELAY_MS,
} from '../../src/storage/redis-client.js';
import { CapturedLog } from '../helpers/captured-log.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function statusAfter(redis: Redis, wanted: string, withinMs: number): Promise<string> {
  const deadline = Date.now() + withinMs;
  while (redis.status !== wanted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return redis.status;
}

describe('createRedisClient: a client ioredis ended is connected again', () => {
  const clients: Redis[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => closeRedisClient(client)));
  });
  const open = (log = new CapturedLog()) => {
    const redis = createRedisClient(
      { kind: 'url', url: REDIS_URL, tls: false, tlsCa: null },
      createLogger('info', log),
    )!;
    clients.push(redis);
    return { redis, log };
  };

  // ioredis' own give-up (a reconnection whose connector rejects) ends the client exactly as a
  // disconnect() nobody asked for through closeRedisClient does: status `end`, no retry scheduled.
  it('connects again after ioredis ends the client, and answers commands', async () => {
    const { redis, log } = open();
    expect(await statusAfter(redis, 'ready', 5000)).toBe('ready');
    redis.disconnect();
    expect(await statusAfter(redis, 'end', 2000)).toBe('end');
    expect(await statusAfter(redis, 'ready', REDIS_RESTART_DELAY_MS + 5000)).toBe('ready');
    expect(await redis.ping()).toBe('PONG');
    expect(log.lines.some((line) => line.msg === 'redis client ended: connecting again')).toBe(true);
  });

  it('stays closed after closeRedisClient', async () => {
    const { redis, log } = open();
    expect(await statusAfter(redis, 'ready', 5000)).toBe('ready');
    await closeRedisClient(redis);
    expect(redis.status).toBe('end');
    await new Promise((r) => setTimeout(r, REDIS_RESTART_DELAY_MS + 500));
    expect(redis.status).toBe('end');
    expect(log.lines.some((line) => line.msg === 'redis client ended: connecting again')).toBe(false);
  });

  it('closes at once a client that is waiting to reconnect to a Redis that is gone', async () => {
    const log = new CapturedLog();
    // A port nothing listens on: the client goes from connecting to reconnecting, again and again.
    const redis = createRedisClient(
      { kind: 'url', url: 'redis://127.0.0.1:1', tls: false, tlsCa: null },
      createLogger('info', log),
    )!;
    expect(await statusAfter(redis, 'reconnecting', 3000)).toBe('reconnecting');
    // Resolves (a client with no connection emits no second `end`; the test's timeout catches a hang).
    await closeRedisClient(redis);
    // ioredis leaves such a client in `reconnecting` with its retry cancelled: no attempt follows.
    let attempts = 0;
    redis.on('connecting', () => (attempts += 1));
    await new Promise((r) => setTimeout(r, REDIS_RESTART_DELAY_MS + 2500));
    expect(attempts).toBe(0);
    expect(log.lines.some((line) => line.msg === 'redis client ended: connecting again')).toBe(false);
  });
});
