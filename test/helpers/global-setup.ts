import pg from 'pg';
import { Redis } from 'ioredis';
import { ensureTools } from './tools.js';

/**
 * Fails fast, with a clear message, when the real services the suite needs are not running, and
 * installs the programs some tests drive (Chromium, nginx, promtool, docker-compose) when they are
 * missing and it can (see tools.ts); a test whose tool is still missing fails saying how to get it.
 */
export async function setup(): Promise<void> {
  // The runtime under test: npm scripts put node_modules/.bin (the pinned `node` package) first on PATH.
  console.log(`tests run on Node.js ${process.version}`);
  ensureTools();
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${postgresAdminUrl()}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis is not reachable at ${redisUrl()}: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

export function postgresAdminUrl(): string {
  return process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function redisUrl(): string {
  return process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}
