import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { redisUrl } from '../helpers/global-setup.js';
import { productionBuild, startBuilt } from '../helpers/production-build.js';
import { TEST_AUTH_SECRET } from '../helpers/server.js';

/** Name and nice value of every thread of process `pid`, from /proc (proc(5): nice is field 19). */
function threadsOf(pid: number): { name: string; nice: number }[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), nice: Number(fields[16]) };
  });
}

const SPAWN_TIMEOUT = 120_000;

describe(
  'password-hashing threads yield the CPU to the event loop (compiled build)',
  { timeout: SPAWN_TIMEOUT },
  () => {
    let build: string;
    let database: TestDatabase;

    beforeAll(async () => {
      [build, database] = await Promise.all([productionBuild(), createTestDatabase('postgresql')]);
    }, 240_000);

    afterAll(async () => {
      await database?.drop();
    });

    const env = (overrides: Record<string, string> = {}) => ({
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl(),
      REDIS_KEY_PREFIX: 'plinto-nice-test:',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      APP_URL: 'https://auth.example.test',
      AUTH_SECRET: TEST_AUTH_SECRET,
      MIGRATE_ON_START: 'true',
      SIGNUP_MODE: 'immediate',
      BCRYPT_COST: '10',
      SHUTDOWN_DRAIN_SECONDS: '0',
      SHUTDOWN_TIMEOUT_SECONDS: '5',
      ...overrides,
    });

    it('runs libuv’s pool threads at nice 10 by default, the event loop at 0, and still hashes', async () => {
      const server = await startBuilt(build, env());
      try {
        const threads = threadsOf(server.process.pid!);
        const pool = threads.filter((t) => t.name === 'libuv-worker');
        expect(pool.length).toBeGreaterThanOrEqual(4); // UV_THREADPOOL_SIZE's default
        expect(pool.every((t) => t.nice === 10)).toBe(true);
        // Everything else keeps the process's priority: the main thread (named after the process) first.
        const others = threads.filter((t) => t.name !== 'libuv-worker');
        expect(others.length).toBeGreaterThan(0);
        expect(others.every((t) => t.nice === 0)).toBe(true);
        // A sign-up hashes on those threads and succeeds.
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query:
              'mutation($input: SignUpInput!) { signUp(input: $input) { __typename ... on SignInSuccess { tokens { accessToken } } } }',
            variables: { input: { email: 'nice@example.test', password: 'correct horse battery staple 7' } },
          }),
        });
        const body = (await response.json()) as {
          data?: { signUp: { __typename: string; tokens?: { accessToken: string } } };
        };
        expect(body.data?.signUp.__typename, JSON.stringify(body)).toBe('SignInSuccess');
        expect(body.data?.signUp.tokens?.accessToken).toMatch(/^ey/);
        expect(server.output()).toContain('password-hashing threads yield to the event loop');
      } finally {
        await server.stop();
      }
    });

    it('leaves every thread alone with HASH_THREAD_NICE=0', async () => {
      const server = await startBuilt(build, env({ HASH_THREAD_NICE: '0' }));
      try {
        const threads = threadsOf(server.process.pid!);
        expect(threads.filter((t) => t.name === 'libuv-worker').length).toBeGreaterThanOrEqual(4);
        expect(threads.every((t) => t.nice === 0)).toBe(true);
      } finally {
        await server.stop();
      }
    });
  },
);
