import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { redisUrl } from '../helpers/global-setup.js';
import { productionBuild, runBuilt, startBuilt } from '../helpers/production-build.js';
import { freePort } from '../helpers/replicas.js';
import { testEnv, TEST_AUTH_SECRET } from '../helpers/server.js';

const OTHER_SECRET = 'Zr4pQ8wLm2xV7nK5tB9cJ3hY6fD1sG0aE8uW4qT2';

/** What an operator's environment holds in production (SMTP is only dialled when mail is sent). */
function productionEnv(databaseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl(),
    REDIS_KEY_PREFIX: 'plinto-startup-test:',
    SMTP_URL: 'smtp://127.0.0.1:2525',
    APP_URL: 'https://auth.example.test',
    AUTH_SECRET: TEST_AUTH_SECRET,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...overrides,
  };
}

/** The refusal: exit 1, exactly one line on stderr, and no stack frame anywhere in the output. */
function expectOneLineRefusal(result: { code: number | null; stdout: string; stderr: string }): string {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^Plinto cannot start: /);
  expect(result.stderr + result.stdout).not.toMatch(/\n\s+at .+:\d+/);
  expect(result.stderr).not.toMatch(/node:internal|Unsupported state|parserOpenTable/);
  return lines[0]!;
}

// Each case starts a real Node process (a few seconds, more on a loaded machine).
const SPAWN_TIMEOUT = 120_000;

describe('production start-up refusals (compiled build)', { timeout: SPAWN_TIMEOUT }, () => {
  let build: string;
  let empty: TestDatabase;
  let sealed: TestDatabase;

  beforeAll(async () => {
    [build, empty, sealed] = await Promise.all([
      productionBuild(),
      createTestDatabase('postgresql'),
      createTestDatabase('postgresql'),
    ]);
    // A database migrated and sealed (first signing key) with TEST_AUTH_SECRET.
    const app = await createApp(loadConfig(testEnv('postgresql', sealed.url)), { migrate: true });
    await app.close();
  }, 240_000);

  afterAll(async () => {
    await Promise.all([empty?.drop(), sealed?.drop()]);
  });

  it('refuses an unmigrated database, naming the pending migrations and the command', async () => {
    const line = expectOneLineRefusal(
      await runBuilt(build, 'src/main.js', productionEnv(empty.url, { PORT: '0' })),
    );
    expect(line).toContain('pending migration');
    expect(line).toContain('Migration20261130000000_initial');
    expect(line).toContain('node dist/src/cli/migrate.js');
    expect(line).toContain('npm run migrate');
    expect(line).toContain('MIGRATE_ON_START');
  });

  it('refuses a database sealed with another AUTH_SECRET, naming AUTH_SECRET and the rotation procedure', async () => {
    const result = await runBuilt(
      build,
      'src/main.js',
      productionEnv(sealed.url, { PORT: '0', AUTH_SECRET: OTHER_SECRET }),
    );
    const line = expectOneLineRefusal(result);
    expect(line).toContain('AUTH_SECRET cannot open');
    expect(line).toContain('signing keys');
    expect(line).toContain('AUTH_SECRET_PREVIOUS');
    expect(line).toContain('npm run reseal');
    expect(line).toContain('Rotating AUTH_SECRET');
    expect(result.stderr).not.toContain(OTHER_SECRET);
  });

  it('refuses when PostgreSQL does not answer, naming the database and DATABASE_URL', async () => {
    const port = await freePort();
    const url = `postgres://plinto:Xq7mW2pLs9Rt4vNb@127.0.0.1:${port}/plinto`;
    const result = await runBuilt(build, 'src/main.js', productionEnv(url, { PORT: '0' }));
    const line = expectOneLineRefusal(result);
    expect(line).toContain(
      `PostgreSQL at 127.0.0.1:${port} (database plinto) is unreachable: connection refused`,
    );
    expect(line).toContain('DATABASE_URL');
    expect(result.stderr + result.stdout).not.toContain('Xq7mW2pLs9Rt4vNb');
  });

  it('refuses when Redis does not answer in production, naming Redis and REDIS_URL', async () => {
    const port = await freePort();
    const result = await runBuilt(
      build,
      'src/main.js',
      productionEnv(sealed.url, { PORT: '0', REDIS_URL: `redis://127.0.0.1:${port}` }),
    );
    const line = expectOneLineRefusal(result);
    expect(line).toContain(`Redis at 127.0.0.1:${port} is unreachable: connection refused`);
    expect(line).toContain('REDIS_URL');
  });

  describe('with the port taken', () => {
    let taken: Server;
    let port: number;

    beforeAll(async () => {
      taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      port = (taken.address() as { port: number }).port;
    });

    afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

    it('refuses, naming the port and PORT', async () => {
      const result = await runBuilt(build, 'src/main.js', productionEnv(sealed.url, { PORT: String(port) }));
      const line = expectOneLineRefusal(result);
      expect(line).toContain(`port ${port} is already in use on 127.0.0.1`);
      expect(line).toContain('set PORT to a free port');
    });

    it('names METRICS_PORT when that is the port taken', async () => {
      const result = await runBuilt(
        build,
        'src/main.js',
        productionEnv(sealed.url, { PORT: '0', METRICS_PORT: String(port) }),
      );
      const line = expectOneLineRefusal(result);
      expect(line).toContain(`port ${port} is already in use`);
      expect(line).toContain('set METRICS_PORT to a free port');
    });
  });

  it('puts the stack in the debug log only (LOG_LEVEL=debug), never on stderr', async () => {
    const result = await runBuilt(
      build,
      'src/main.js',
      productionEnv(empty.url, { PORT: '0', LOG_LEVEL: 'debug' }),
    );
    expectOneLineRefusal(result);
    const debug = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string; reason?: string; err?: { stack?: string } })
      .find((entry) => entry.msg === 'start-up failed');
    expect(debug?.level).toBe(20);
    expect(debug?.reason).toBe('schema-behind');
    expect(debug?.err?.stack).toMatch(/\n\s+at /);
  });

  it('migrates at start with MIGRATE_ON_START=true, then serves', async () => {
    const fresh = await createTestDatabase('postgresql');
    try {
      const server = await startBuilt(
        build,
        productionEnv(fresh.url, {
          MIGRATE_ON_START: 'true',
          SHUTDOWN_DRAIN_SECONDS: '0',
          SHUTDOWN_TIMEOUT_SECONDS: '5',
        }),
      );
      const ready = await fetch(`${server.url}/ready`);
      expect(await ready.json()).toEqual({ status: 'ready', failed: [] });
      await server.stop();
    } finally {
      await fresh.drop();
    }
  });
});
