import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';

/**
 * The one place a Redis client is made, for every topology in the configuration. Sentinel is
 * ioredis's own: it asks the sentinels for the current primary, checks the role it connects to,
 * and reconnects through the sentinels when the primary changes (no discovery of our own).
 */
export function createRedisClient(config: RedisConfig | null, logger: Logger): Redis | null {
  if (!config) return null;
  // No offline queue: with Redis down a command fails at once instead of waiting, so no
  // request ever hangs on a dead Redis; the callers fall back (database, insurance limiter).
  const common: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    // A primary demoted under our feet answers writes with READONLY: reconnect, which in
    // Sentinel mode asks the sentinels for the new primary (the command itself fails over to the fallbacks).
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 1 : false),
  };
  const redis =
    config.kind === 'url'
      ? new Redis(config.url, {
          ...common,
          // rediss:// alone verifies against the system's CAs; a private CA replaces them.
          ...(config.tls ? { tls: config.tlsCa ? { ca: config.tlsCa } : {} } : {}),
        })
      : new Redis({
          ...common,
          sentinels: config.sentinels,
          name: config.name,
          ...(config.sentinelPassword ? { sentinelPassword: config.sentinelPassword } : {}),
          ...(config.password ? { password: config.password } : {}),
          // Subscribe to the sentinels' +switch-master: reconnect at promotion, not at the next error.
          failoverDetector: true,
          sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
        });
  // The driver's text only (never the connection string, which may hold a password).
  redis.on('error', (error: Error) => logger.warn({ err: { message: error.message } }, 'redis error'));
  restartWhenEnded(redis, logger);
  return redis;
}

const closedOnPurpose = new WeakSet<Redis>();
/** Restart delay after ioredis gave up (exported for its test). */
export const REDIS_RESTART_DELAY_MS = 1000;

/**
 * ioredis ends a client for good (status `end`, no more retries) when a reconnection's connector
 * rejects, whatever the retry strategies say: `Redis#_connect` sets `end` on any connector error.
 * In Sentinel mode a connector rejects with "Connection is closed." when it is disconnected while
 * still asking the sentinels for the primary (a +switch-master or a READONLY reconnect arriving
 * during a reconnection): seen in about half the runs of test/ha/redis-sentinel-failover.test.ts,
 * leaving the replica on the insurance limiter for the life of the process. Connect again, unless
 * the client was closed on purpose through `closeRedisClient`.
 */
function restartWhenEnded(redis: Redis, logger: Logger): void {
  redis.on('end', () => {
    if (closedOnPurpose.has(redis)) return;
    logger.warn('redis client ended: connecting again');
    setTimeout(() => {
      if (redis.status === 'end' && !closedOnPurpose.has(redis)) redis.connect().catch(() => undefined);
    }, REDIS_RESTART_DELAY_MS).unref();
  });
}

/**
 * Closes a client for good: waits for its pending replies when it is connected (QUIT), resolves once
 * the connection has ended, and no restart follows.
 */
export async function closeRedisClient(redis: Redis): Promise<void> {
  closedOnPurpose.add(redis);
  if (redis.status === 'end') return;
  // A client waiting to reconnect has no connection left to end: do not wait for an `end` forever.
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<void>((resolve) => {
    redis.once('end', () => resolve());
    timer = setTimeout(resolve, CLOSE_WAIT_MS);
  });
  await redis.quit().catch(() => redis.disconnect());
  await ended;
  clearTimeout(timer);
}
const CLOSE_WAIT_MS = 1000;
