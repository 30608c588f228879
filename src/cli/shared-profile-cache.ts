import type { MikroORM } from '@mikro-orm/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { PrimaryScopedLivenessCache } from '../auth/primary-scoped-liveness.js';
import type { Config } from '../config.js';
import { createLogger } from '../observability/logger.js';
import { closeRedisClient, createRedisClient } from '../storage/redis-client.js';
import { onUserRowChange } from '../storage/user-rows.js';

/** How long a tool waits for Redis (connect and identify the primary) before it gives up on it. */
const READY_WITHIN_MS = 5000;

/**
 * For a command-line tool that changes users rows with an ORM of its own (create-admin): the
 * running servers answer `me` from a profile cached in Redis, dropped only by the listener the app
 * registers (src/storage/user-rows.ts), which a tool's ORM does not have. Without this, a role
 * granted here showed in `me` on every server only once the cached entry expired
 * (SESSION_LIVENESS_CACHE_SECONDS; found by the attack pass of session 4). With Redis configured,
 * every committed write of a users row drops the user's cached profile in the namespace the servers
 * use (PrimaryScopedLivenessCache); without Redis (the embedded mode) each server's cache is in its
 * own memory and nothing can reach it. Returns what closes the connection.
 */
export function invalidateProfilesOnUserRowChange(orm: MikroORM, config: Config): () => Promise<void> {
  const redis = createRedisClient(config.redis, createLogger('silent'));
  if (!redis) return async () => undefined;
  const cache = new PrimaryScopedLivenessCache(redis, config.redisKeyPrefix, createLogger('silent'));
  onUserRowChange(orm.em, async (userId) => {
    const deadline = Date.now() + READY_WITHIN_MS;
    while (cache.namespace === null && Date.now() < deadline) await sleep(50);
    if (!(await cache.invalidateUser(userId, config.sessionLivenessCacheSeconds))) {
      console.error(
        `Redis did not answer: running servers may show this user's previous profile in \`me\` for up to ${config.sessionLivenessCacheSeconds} s.`,
      );
    }
  });
  return () => closeRedisClient(redis);
}
