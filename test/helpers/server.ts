import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.js';
import type { PlintoApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Logger } from '../../src/observability/logger.js';
import type { Backend, TestDatabase } from './database.js';
import { redisUrl } from './global-setup.js';

// Fixed, so tests can recompute keyed hashes; random-looking, so production-mode tests accept it.
export const TEST_AUTH_SECRET = 'Qm7t2Xv9LpR4kW8zN3cJ6hF1bY5dG0sAeU-tk_Zr';

export interface TestServer {
  app: PlintoApp;
  url: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface StartServerOptions {
  logger?: Logger;
  /** Where the hosted pages' built scripts are (tests build them into a directory of their own). */
  pagesAssetsDir?: string;
}

/**
 * A real server on a free loopback port, with the given database. PostgreSQL servers use the
 * real Redis (with a key prefix of their own); SQLite servers run like the embedded default.
 */
export async function startServer(
  database: TestDatabase,
  overrides: Record<string, string | undefined> = {},
  options: StartServerOptions = {},
): Promise<TestServer> {
  const env = testEnv(database.backend, database.url, overrides);
  const app = await createApp(loadConfig(env), {
    migrate: true,
    logger: options.logger ?? createLogger(env.LOG_LEVEL ?? 'silent'),
    pagesAssetsDir: options.pagesAssetsDir,
  });
  // A PORT override listens there (when APP_URL must be the server's own address); else any free port.
  const port = await app.listen(env.PORT ? Number(env.PORT) : 0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${port}`, env, close: () => app.close() };
}

export function testEnv(
  backend: Backend,
  databaseUrl: string,
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  const env: Record<string, string | undefined> = {
    // Test mode: PostgreSQL with the console mail transport is allowed only here (see config.ts).
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    AUTH_SECRET: TEST_AUTH_SECRET,
    BCRYPT_COST: '4',
    SIGNUP_MODE: 'immediate',
    LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'plinto-data-')),
    APP_URL: 'http://plinto.test',
    REFRESH_GRACE_SECONDS: '2',
    // Flow tests sign up and in many times from 127.0.0.1; rate-limit tests turn limits on explicitly.
    RATE_LIMITS_ENABLED: 'false',
    // No sweep at a random moment of another test; the sweeper's own tests run it explicitly.
    CLEANUP_INTERVAL_SECONDS: '0',
    ...(backend === 'postgresql'
      ? { REDIS_URL: redisUrl(), REDIS_KEY_PREFIX: `plinto-test-${randomBytes(4).toString('hex')}:` }
      : {}),
    // Production listens for /metrics on its own port (9464 by default): any free one here.
    ...(overrides.NODE_ENV === 'production' ? { METRICS_PORT: '0' } : {}),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * Stops a test server's background work on its ORM and Redis (the periodic readiness check, the
 * live-sessions gauge, the mail and webhook senders, the expired-row sweeper), so that a window in
 * which a test counts statements or commands holds only the requests' own: on a slow machine their
 * polls fell into such windows.
 */
export async function quietBackgroundWork(server: TestServer): Promise<void> {
  const { services } = server.app;
  services.readiness.stopPeriodic();
  services.liveSessionsGauge.stop();
  await Promise.all([
    services.mailSender.stop(),
    services.webhookDispatcher.stop(),
    services.expiredRowSweeper.stop(),
  ]);
}
