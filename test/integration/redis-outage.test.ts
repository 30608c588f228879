import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { SIGN_IN, signUpUser } from '../helpers/graphql.js';
import { gqlFrom } from '../helpers/local-address.js';
import { PrivateRedis, sparePort } from '../helpers/private-redis.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';

async function degraded(server: TestServer): Promise<number> {
  return (await server.app.services.metrics.redisDegraded.get()).values[0]?.value ?? 0;
}

/** Polls a condition (no timing assertion: the test timeout is the only bound). */
async function eventually(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('rate limits while Redis is down and after it returns', () => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  let a: TestServer;
  let b: TestServer;
  const logLines: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    redis = new PrivateRedis(await sparePort());
    await redis.start();
    const env = {
      RATE_LIMITS_ENABLED: 'true',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `plinto-outage-${randomBytes(4).toString('hex')}:`,
    };
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) =>
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean)),
    );
    a = await startServer(database, env, { logger: createLogger('info', logStream) });
    b = await startServer(database, env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.kill();
    await database?.drop();
  });

  it('falls back to the insurance limiter without hanging, and shares limits again after recovery', async () => {
    const user = await signUpUser(a.url);
    const signIn = (server: TestServer, ip: string) =>
      gqlFrom(server.url, ip, SIGN_IN, { email: user.email, password: user.password });
    await eventually(async () => (await degraded(a)) === 0 && (await degraded(b)) === 0);

    await redis.kill();
    await eventually(async () => (await degraded(a)) === 1);
    const exposition = await (await fetch(`${a.url}/metrics`)).text();
    expect(exposition).toMatch(/^plinto_redis_degraded 1$/m);
    expect(logLines.filter((line) => line.includes('insurance limiter'))).toHaveLength(1);

    const answers: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const started = performance.now();
      const response = await signIn(a, '127.0.0.31');
      // The issue asks for this bound: a dead Redis must never make sign-in wait.
      expect(performance.now() - started).toBeLessThan(2000);
      answers.push(
        response.body.data?.signIn.__typename ?? String(response.body.errors?.[0]?.extensions?.code),
      );
    }
    expect(answers).toEqual([...Array(5).fill('SignInSuccess'), 'RATE_LIMITED']);

    await redis.start();
    await eventually(async () => (await degraded(a)) === 0 && (await degraded(b)) === 0);
    expect(logLines.some((line) => line.includes('rate limits are shared again'))).toBe(true);
    // Split across both instances from a fresh IP: only a shared counter refuses the 6th.
    const shared: string[] = [];
    for (const server of [a, b, a, b, a, b]) {
      const response = await signIn(server, '127.0.0.32');
      shared.push(
        response.body.data?.signIn.__typename ?? String(response.body.errors?.[0]?.extensions?.code),
      );
    }
    expect(shared).toEqual([...Array(5).fill('SignInSuccess'), 'RATE_LIMITED']);
  });
});
