import { readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { bearer, ME, SIGN_IN, signUpUser } from '../helpers/graphql.js';
import { gqlFrom } from '../helpers/local-address.js';
import { sparePort } from '../helpers/private-redis.js';
import { RedisProcess } from '../helpers/redis-sentinel.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';
import { makeTestCertificates } from '../helpers/test-certificates.js';
import type { TestCertificates } from '../helpers/test-certificates.js';
import { outcome } from './ha-traffic.js';

async function degraded(server: TestServer): Promise<number> {
  return (await server.app.services.metrics.redisDegraded.get()).values[0]?.value ?? 0;
}

async function eventually(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('rediss:// against a Redis that speaks only TLS, with a private CA', () => {
  let database: TestDatabase;
  let certificates: TestCertificates;
  let redis: RedisProcess;
  const servers: TestServer[] = [];
  const prefix = `plinto-tls-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    certificates = makeTestCertificates();
    const port = await sparePort();
    // Plain port 0: nothing but TLS is served.
    redis = new RedisProcess(
      port,
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--tls-cert-file',
        certificates.serverCert,
        '--tls-key-file',
        certificates.serverKey,
        '--tls-ca-cert-file',
        certificates.caCert,
        '--tls-auth-clients',
        'no',
      ],
      { tls: { ca: readFileSync(certificates.caCert, 'utf8') } },
    );
    await redis.start();
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await redis?.kill();
    await database?.drop();
    if (certificates) rmSync(certificates.dir, { recursive: true, force: true });
  });

  const start = async (env: Record<string, string | undefined>) => {
    const server = await startServer(database, {
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMITS_ENABLED: 'true',
      ...env,
    });
    servers.push(server);
    return server;
  };

  it('shares limits and revocations over TLS, verifying the server against REDIS_TLS_CA', async () => {
    const env = { REDIS_URL: `rediss://127.0.0.1:${redis.port}`, REDIS_TLS_CA: certificates.caCert };
    const a = await start(env);
    const b = await start(env);
    await eventually(async () => (await degraded(a)) === 0 && (await degraded(b)) === 0);

    const user = await signUpUser(a.url);
    const answers: string[] = [];
    for (const server of [a, b, a, b, a, b]) {
      answers.push(
        outcome(
          await gqlFrom(server.url, '127.0.4.1', SIGN_IN, { email: user.email, password: user.password }),
          'signIn',
        ),
      );
    }
    expect(answers).toEqual([...Array(5).fill('SignInSuccess'), 'RATE_LIMITED']);

    const me = async (server: TestServer) =>
      outcome(await gqlFrom(server.url, '127.0.0.1', ME, {}, bearer(user.accessToken)), 'me');
    expect([await me(a), await me(b)]).toEqual(['User', 'User']);
    await gqlFrom(b.url, '127.0.0.1', 'mutation { signOut }', {}, bearer(user.accessToken));
    expect([await me(a), await me(b)]).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);

    // The entries really are in the TLS Redis (read back over a verified TLS connection).
    const direct = new Redis(`rediss://127.0.0.1:${redis.port}`, {
      tls: { ca: readFileSync(certificates.caCert, 'utf8') },
    });
    try {
      expect((await direct.keys(`${prefix}*session:${user.sessionId}`)).length).toBe(1);
    } finally {
      direct.disconnect();
    }
  });

  it('without REDIS_TLS_CA the privately signed certificate is refused: shared limits stay off, sign-in still works', async () => {
    const unverified = await start({ REDIS_URL: `rediss://127.0.0.1:${redis.port}` });
    // Give the client time to try (and fail) the handshake a few times.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(unverified.app.services.redis?.status).not.toBe('ready');
    expect(await degraded(unverified)).toBe(1);
    const user = await signUpUser(unverified.url);
    expect(
      outcome(
        await gqlFrom(unverified.url, '127.0.4.2', SIGN_IN, { email: user.email, password: user.password }),
        'signIn',
      ),
    ).toBe('SignInSuccess');
  });
});
