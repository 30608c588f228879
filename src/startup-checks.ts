import type { Redis } from 'ioredis';
import type { Config, RedisConfig } from './config.js';
import type { Logger } from './observability/logger.js';
import type { SecretBox } from './security/crypto.js';
import { scanSealedValues, unopenableSummary } from './security/sealed-values.js';
import type { Orm } from './storage/orm.js';
import { migrate, openOrm } from './storage/orm.js';
import { pendingMigrations } from './storage/schema-status.js';
import { closeRedisClient } from './storage/redis-client.js';
import {
  databaseUnreachable,
  redisUnreachable,
  schemaBehind,
  sealedValuesUnreadable,
} from './startup-refusal.js';

/** Values per sealed column opened at start: every signing key in practice, a sample of the rest. */
const START_SAMPLE_PER_COLUMN = 50;

/** Opens the ORM (which connects at once), refusing with one line when the database does not answer. */
export async function openDatabase(config: Config): Promise<Orm> {
  try {
    return await openOrm(config.database);
  } catch (error) {
    throw databaseUnreachable(config, error);
  }
}

/**
 * The database answers, and its schema is at this build's latest migration (after applying them
 * when MIGRATE_ON_START). Refuses with one line otherwise: a server on an old schema fails later,
 * per request, with SQL errors that say nothing to the operator.
 */
export async function verifyDatabase(orm: Orm, config: Config, migrateOnStart: boolean, logger: Logger) {
  try {
    await orm.em.getConnection().execute('select 1');
  } catch (error) {
    throw databaseUnreachable(config, error);
  }
  if (migrateOnStart) {
    const applied = await migrate(orm);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied at start (MIGRATE_ON_START)');
  }
  const pending = await pendingMigrations(orm);
  if (pending.length > 0) throw schemaBehind(pending);
}

/**
 * The configured secret(s) open what is sealed in the database. Without this a wrong AUTH_SECRET
 * surfaces as a cipher error inside the signing-key store (or, for TOTP, only at a user's sign-in).
 */
export async function verifySealedValues(orm: Orm, box: SecretBox, logger: Logger): Promise<void> {
  const scans = await scanSealedValues(() => orm.em.fork(), box, { limitPerColumn: START_SAMPLE_PER_COLUMN });
  const unreadable = unopenableSummary(scans);
  if (unreadable.length > 0) throw sealedValuesUnreadable(unreadable, box.hasPrevious);
  const underPrevious = scans.filter((s) => s.underPrevious > 0).map((s) => s.column.label);
  if (underPrevious.length > 0) {
    logger.warn(
      { columns: underPrevious },
      'values still sealed with AUTH_SECRET_PREVIOUS: run the reseal command, then remove AUTH_SECRET_PREVIOUS',
    );
  }
}

/** Production only: Redis answers within `timeoutMs` (later outages are degraded service, not fatal). */
export async function verifyRedis(redis: Redis, redisConfig: RedisConfig, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  let lastError: unknown = null;
  const onError = (error: unknown) => {
    lastError = error;
  };
  redis.on('error', onError);
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  redis.off('error', onError);
  if (ready) return;
  await closeRedisClient(redis);
  throw redisUnreachable(redisConfig, lastError, timeoutMs);
}
