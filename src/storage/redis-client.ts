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
  return redis;
}
