import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrimaryScopedLivenessCache } from '../../src/auth/primary-scoped-liveness.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { bearer, ME, SIGN_IN, signUpUser } from '../helpers/graphql.js';
import { gqlFrom } from '../helpers/local-address.js';
import { redisCommand, SENTINEL_NAME, SentinelCluster } from '../helpers/redis-sentinel.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { outcome, steadyTraffic } from './ha-traffic.js';

const SIGN_OUT = `mutation { signOut }`;

async function degraded(server: TestServer): Promise<number> {
  return (await server.app.services.metrics.redisDegraded.get()).values[0]?.value ?? 0;
}

function cacheNamespace(server: TestServer): string | null {
  return (server.app.services.sessions as unknown as { liveness: PrimaryScopedLivenessCache }).liveness
    .namespace;
}

/** Polls a condition; fails naming it after 40 s (a diagnosis, not a timing assertion). */
async function eventually(
  condition: () => Promise<boolean> | boolean,
  what: string | (() => string) = 'a condition',
): Promise<void> {
  const deadline = Date.now() + 40_000;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`still waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const meFrom = async (server: TestServer, accessToken: string) =>
  outcome(await gqlFrom(server.url, '127.0.0.1', ME, {}, bearer(accessToken)), 'me');

describe('Redis behind three sentinels: the primary dies mid-traffic', () => {
  let database: TestDatabase;
  const cluster = new SentinelCluster();
  let replicationLink: TcpProxy;
  let a: TestServer;
  let b: TestServer;
  const prefix = `plinto-ha-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    // The replica reaches its primary through a forwarder, so the test can hold back replication.
    await cluster.start(async (primaryPort) => {
      replicationLink = new TcpProxy(primaryPort);
      await replicationLink.listen();
      return replicationLink.port;
    });
    const env = {
      REDIS_URL: undefined,
      REDIS_SENTINELS: cluster.sentinelAddresses,
      REDIS_SENTINEL_NAME: SENTINEL_NAME,
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMITS_ENABLED: 'true',
      // The steady traffic signs one account in many times; the per-address limit stays at 5/min.
      RATE_LIMITS: 'signIn.account=100000/60',
      // Long enough that a stale `live` entry would still be served after the failover.
      SESSION_LIVENESS_CACHE_SECONDS: '600',
    };
    a = await startServer(database, env);
    b = await startServer(database, env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await replicationLink?.close();
    await cluster.stop();
    await database?.drop();
  });

  it('keeps answering, loses no revocation, and shares limits and revocations again after promotion', async () => {
    await eventually(() => cacheNamespace(a) !== null && cacheNamespace(b) !== null, 'both caches scoped');
    const oldNamespace = cacheNamespace(a)!;
    expect(cacheNamespace(b)).toBe(oldNamespace);
    expect(await cluster.primaryPort()).toBe(cluster.primary.port);

    const user = await signUpUser(a.url);
    const victim = (
      await gqlFrom(a.url, '127.0.1.1', SIGN_IN, { email: user.email, password: user.password })
    ).body.data!.signIn;
    const victimToken = victim.tokens.accessToken as string;
    // Both instances have now cached the session as live, and the replica has that entry.
    expect([await meFrom(a, victimToken), await meFrom(b, victimToken)]).toEqual(['User', 'User']);
    const liveKey = `${prefix}${oldNamespace}:session:${victim.session.id}`;
    await eventually(
      async () => (await redisCommand(cluster.replica.port, 'GET', liveKey)) === 'live',
      'the live entry on the replica',
    );

    // The revocation is acknowledged by the primary and never reaches the replica.
    replicationLink.freeze();
    const signOut = await gqlFrom(a.url, '127.0.0.1', SIGN_OUT, {}, bearer(victimToken));
    expect(signOut.body.data?.signOut).toBe(true);
    expect(await redisCommand(cluster.primary.port, 'GET', liveKey)).toBe('revoked');
    expect([await meFrom(a, victimToken), await meFrom(b, victimToken)]).toEqual([
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
    ]);

    const traffic = steadyTraffic([a.url, b.url], user, 2);
    await eventually(() => traffic.answers.length >= 15, 'traffic before the kill');
    const killedAt = Date.now();
    await cluster.primary.kill();
    replicationLink.cut();
    await cluster.untilReplicaPromoted();
    const promotedAt = Date.now();
    let degradedNow: number[] = [];
    await eventually(
      async () => {
        degradedNow = [await degraded(a), await degraded(b)];
        return degradedNow[0] === 0 && degradedNow[1] === 0;
      },
      () =>
        `both instances connected to the new primary (${[a, b].map((s) => (s.app.services as unknown as { redis: { status: string } }).redis.status).join(',')}; degraded ${String(degradedNow)})`,
    );
    await eventually(
      () => cacheNamespace(a) !== null && cacheNamespace(b) !== null,
      'both caches scoped to the new primary',
    );
    const recoveredAt = Date.now();
    const answered = traffic.answers.length;
    await eventually(() => traffic.answers.length >= answered + 15, 'traffic after the recovery');
    await traffic.stop();

    // No request lost or failed: during the outage the insurance limiter and the database answered.
    const failures = traffic.answers.filter((answer) => !['SignInSuccess', 'User'].includes(answer.outcome));
    expect(failures).toEqual([]);
    expect(
      traffic.answers.filter((answer) => answer.at > killedAt && answer.at < promotedAt).length,
    ).toBeGreaterThan(0);
    expect(traffic.answers.filter((answer) => answer.at > recoveredAt).length).toBeGreaterThanOrEqual(15);

    // The lost write is real: the new primary still holds the old `live` entry...
    expect(await redisCommand(cluster.replica.port, 'GET', liveKey)).toBe('live');
    // ...and no instance reads it: both moved to the new primary's namespace and asked the database.
    expect(cacheNamespace(a)).not.toBe(oldNamespace);
    expect(cacheNamespace(b)).toBe(cacheNamespace(a));
    expect([await meFrom(a, victimToken), await meFrom(b, victimToken)]).toEqual([
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
    ]);

    // Limits are shared again: from a fresh address, five sign-ins split over both, then refused.
    const shared: string[] = [];
    for (const server of [a, b, a, b, a, b]) {
      shared.push(
        outcome(
          await gqlFrom(server.url, '127.0.3.1', SIGN_IN, { email: user.email, password: user.password }),
          'signIn',
        ),
      );
    }
    expect(shared).toEqual([...Array(5).fill('SignInSuccess'), 'RATE_LIMITED']);

    // A revocation after the failover is refused on both instances at once.
    const later = (await gqlFrom(b.url, '127.0.3.2', SIGN_IN, { email: user.email, password: user.password }))
      .body.data!.signIn;
    const laterToken = later.tokens.accessToken as string;
    expect([await meFrom(a, laterToken), await meFrom(b, laterToken)]).toEqual(['User', 'User']);
    expect((await gqlFrom(b.url, '127.0.0.1', SIGN_OUT, {}, bearer(laterToken))).body.data?.signOut).toBe(
      true,
    );
    expect([await meFrom(a, laterToken), await meFrom(b, laterToken)]).toEqual([
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
    ]);
    const newKey = `${prefix}${cacheNamespace(a)}:session:${later.session.id}`;
    expect(await redisCommand(cluster.replica.port, 'GET', newKey)).toBe('revoked');
  }, 90_000);
});
