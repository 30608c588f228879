import { randomBytes } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import {
  graphql,
  GraphQLBoolean,
  GraphQLError,
  GraphQLFloat,
  GraphQLInputObjectType,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import type { ExecutionResult } from 'graphql';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Context } from '../../src/context.js';
import { RateLimitedError } from '../../src/errors.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { KeyedHash, REDIS_EMAIL_KEY_LABEL } from '../../src/security/crypto.js';
import { annotateRateLimits } from '../../src/security/rate-limit.directive.js';
import { applyRateLimits, retryAfterPlugin, watchRedisHealth } from '../../src/security/rate-limiter.js';
import { createRedisClient } from '../../src/storage/redis-client.js';
import { CapturedLog } from '../helpers/captured-log.js';
import { redisUrl } from '../helpers/global-setup.js';
import { PrivateRedis, sparePort } from '../helpers/private-redis.js';

/**
 * The rate limiter (src/security/rate-limiter.ts) on a small schema of its own, executed by
 * graphql-js without an HTTP server: per-client and per-account budgets on the shared Redis and
 * in process, the keys it writes, the insurance limiter with Redis down, the Retry-After header
 * (through Apollo's executeOperation) and the Redis health watch (on a redis-server of the test's
 * own). test/integration/rate-limits.test.ts proves the limits over HTTP; this file is fast enough
 * for Stryker.
 */
const SECRET = 'a-test-auth-secret-of-at-least-32-characters';
const emailHash = new KeyedHash(SECRET, REDIS_EMAIL_KEY_LABEL);
const silent = createLogger('silent');

const calls: string[] = [];
const EmailInput = new GraphQLInputObjectType({
  name: 'EmailInput',
  fields: { email: { type: GraphQLString }, name: { type: GraphQLString } },
});
const counted = (name: string) => ({
  type: GraphQLBoolean,
  args: { input: { type: EmailInput }, email: { type: GraphQLString } },
  resolve: () => {
    calls.push(name);
    return true;
  },
});
function baseSchema(): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        ping: { type: GraphQLBoolean, resolve: () => true },
        /** Throws an error with the given code and retryAfter extension (the plugin's input). */
        fail: {
          type: GraphQLBoolean,
          args: { code: { type: new GraphQLNonNull(GraphQLString) }, retryAfter: { type: GraphQLFloat } },
          resolve: (_source, args: { code: string; retryAfter?: number | null }) => {
            throw new GraphQLError('failed', {
              extensions: {
                code: args.code,
                ...(args.retryAfter === undefined ? {} : { retryAfter: args.retryAfter }),
              },
            });
          },
        },
      },
    }),
    mutation: new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        signUp: counted('signUp'),
        signIn: counted('signIn'),
        guarded: counted('guarded'),
        slow: counted('slow'),
        free: counted('free'),
      },
    }),
  });
}
const LIMITS = {
  signUp: { client: { limit: 3, durationSeconds: 60 } },
  signIn: { client: { limit: 100, durationSeconds: 60 }, account: { limit: 2, durationSeconds: 60 } },
  guarded: { client: { limit: 1, durationSeconds: 60 }, account: { limit: 2, durationSeconds: 60 } },
  slow: { client: { limit: 1, durationSeconds: 600 } },
};

interface Limited {
  run: (document: string, client?: { ip?: string | null; userId?: string }) => Promise<ExecutionResult>;
  metrics: Metrics;
  keyPrefix: string;
}
function limited(redis: Redis | null): Limited {
  const metrics = new Metrics();
  const keyPrefix = `plinto-test:rl-unit:${randomBytes(6).toString('hex')}:`;
  const schema = applyRateLimits(annotateRateLimits(baseSchema(), LIMITS), {
    redis,
    keyPrefix,
    metrics,
    refusal: (seconds) => new RateLimitedError(seconds),
    emailHash,
  });
  const run: Limited['run'] = (document, client = {}) =>
    graphql({
      schema,
      source: document,
      contextValue: {
        client: { ip: client.ip === undefined ? '203.0.113.9' : client.ip, userAgent: null },
        auth: client.userId ? { userId: client.userId, sessionId: 's', amr: ['pwd'], roles: [] } : null,
      } as unknown as Context,
    });
  return { run, metrics, keyPrefix };
}

const refusals = (result: ExecutionResult) =>
  (result.errors ?? []).map((error) => ({ code: error.extensions.code, path: error.path?.join('.') }));
async function rejections(metrics: Metrics): Promise<Record<string, number>> {
  return Object.fromEntries(
    (await metrics.rateLimitRejections.get()).values.map((v) => [v.labels.field, v.value]),
  );
}

let shared: Redis;
beforeAll(async () => {
  shared = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  await shared.connect();
});
afterAll(async () => {
  const keys = await shared.keys('plinto-test:rl-unit:*');
  if (keys.length > 0) await shared.del(...keys);
  shared.disconnect();
});
afterEach(() => {
  calls.length = 0;
});

describe.each([
  ['the shared Redis', (): Redis | null => shared],
  ['in process (no Redis)', (): Redis | null => null],
] as const)('rate limits, %s', (_name, store) => {
  it('allows the client limit, then refuses with RATE_LIMITED and a retryAfter within the window, before the resolver', async () => {
    const { run, metrics } = limited(store());
    for (let i = 0; i < 3; i += 1)
      expect(await run('mutation { signUp }')).toEqual({ data: { signUp: true } });
    const refused = await run('mutation { signUp }');
    expect(refusals(refused)).toEqual([{ code: 'RATE_LIMITED', path: 'signUp' }]);
    const retryAfter = refused.errors![0]!.extensions.retryAfter as number;
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(calls).toEqual(['signUp', 'signUp', 'signUp']);
    expect(await rejections(metrics)).toEqual({ signUp: 1 });
    // Fields without a limit, and other clients, are not affected.
    expect(await run('mutation { free }')).toEqual({ data: { free: true } });
    expect(await run('mutation { signUp }', { ip: '203.0.113.10' })).toEqual({ data: { signUp: true } });
  });

  it('counts each alias as one call', async () => {
    const { run } = limited(store());
    const result = await run('mutation { a: signUp b: signUp c: signUp d: signUp }');
    expect(result.data).toEqual({ a: true, b: true, c: true, d: null });
    expect(refusals(result)).toEqual([{ code: 'RATE_LIMITED', path: 'd' }]);
  });

  it('keys a client by IPv4 address, an IPv4-mapped IPv6 as that IPv4, and IPv6 by its /64', async () => {
    const { run } = limited(store());
    await run('mutation { a: signUp b: signUp }', { ip: '198.51.100.7' });
    expect(refusals(await run('mutation { a: signUp b: signUp }', { ip: '::ffff:198.51.100.7' }))).toEqual([
      { code: 'RATE_LIMITED', path: 'b' },
    ]);
    await run('mutation { a: signUp b: signUp }', { ip: '2001:db8:1:2::1' });
    expect(refusals(await run('mutation { a: signUp b: signUp }', { ip: '2001:db8:1:2:ffff::9' }))).toEqual([
      { code: 'RATE_LIMITED', path: 'b' },
    ]);
    expect(
      refusals(await run('mutation { a: signUp b: signUp c: signUp }', { ip: '2001:db8:1:3::1' })),
    ).toEqual([]);
  });

  it('limits an account by its normalised email, from any address, whether the email is an argument or in the input', async () => {
    const { run, metrics } = limited(store());
    expect(
      refusals(await run('mutation { signIn(input: { email: "Alice@Example.com" }) }', { ip: '192.0.2.1' })),
    ).toEqual([]);
    expect(
      refusals(await run('mutation { signIn(email: "  alice@example.COM ") }', { ip: '192.0.2.2' })),
    ).toEqual([]);
    expect(
      refusals(await run('mutation { signIn(input: { email: "alice@example.com" }) }', { ip: '192.0.2.3' })),
    ).toEqual([{ code: 'RATE_LIMITED', path: 'signIn' }]);
    expect(
      refusals(await run('mutation { signIn(email: "alice@example.com") }', { ip: '192.0.2.4' })),
    ).toEqual([{ code: 'RATE_LIMITED', path: 'signIn' }]);
    // Another account has its own budget, and a signed-in caller naming an email is keyed by the email.
    expect(
      refusals(
        await run('mutation { a: signIn(email: "bob@example.com") b: signIn(email: "bob@example.com") }', {
          userId: 'u-alice',
        }),
      ),
    ).toEqual([]);
    expect(await rejections(metrics)).toEqual({ signIn: 2 });
    expect(calls).toHaveLength(4);
  });

  it('limits a signed-in caller without an email argument by user, and spends no account budget for an anonymous one', async () => {
    const { run } = limited(store());
    expect(refusals(await run('mutation { a: signIn b: signIn c: signIn }', { userId: 'u-1' }))).toEqual([
      { code: 'RATE_LIMITED', path: 'c' },
    ]);
    expect(refusals(await run('mutation { a: signIn b: signIn }', { userId: 'u-2' }))).toEqual([]);
    // Anonymous, no email (an input without one, or no input): only the client limit of 100 applies.
    expect(
      refusals(await run('mutation { a: signIn b: signIn(input: { name: "x" }) c: signIn d: signIn }')),
    ).toEqual([]);
    expect(refusals(await run('mutation { a: signIn b: signIn c: signIn }', { ip: null }))).toEqual([]);
  });

  it('checks the client limit first: a client over its limit spends none of the account’s budget', async () => {
    const { run } = limited(store());
    const target = 'mutation { guarded(email: "victim@example.com") }';
    expect(refusals(await run(target, { ip: '192.0.2.10' }))).toEqual([]);
    expect(refusals(await run(target, { ip: '192.0.2.10' }))).toEqual([
      { code: 'RATE_LIMITED', path: 'guarded' },
    ]);
    expect(refusals(await run(target, { ip: '192.0.2.11' }))).toEqual([]);
    expect(refusals(await run(target, { ip: '192.0.2.12' }))).toEqual([
      { code: 'RATE_LIMITED', path: 'guarded' },
    ]);
    expect(calls).toEqual(['guarded', 'guarded']);
  });
});

describe('rate-limit keys in Redis', () => {
  it('writes per-client keys by field and address, and per-account keys as a keyed hash of the account', async () => {
    const { run, keyPrefix } = limited(shared);
    await run('mutation { signUp }', { ip: '::ffff:203.0.113.50' });
    await run('mutation { signIn(email: "Carol@Example.com") }', { ip: '203.0.113.51' });
    await run('mutation { signIn }', { ip: '203.0.113.52', userId: 'u-carol' });
    const keys = (await shared.keys(`${keyPrefix}*`)).sort();
    expect(keys).toEqual(
      [
        `${keyPrefix}rl-account:signIn:acct:${emailHash.hex('email:carol@example.com')}`,
        `${keyPrefix}rl-account:signIn:acct:${emailHash.hex('user:u-carol')}`,
        `${keyPrefix}rl-client:signIn:ip:203.0.113.51`,
        `${keyPrefix}rl-client:signIn:ip:203.0.113.52`,
        `${keyPrefix}rl-client:signUp:ip:203.0.113.50`,
      ].sort(),
    );
    expect(keys.join(' ')).not.toMatch(/carol/i);
  });
});

describe('rate limits with Redis down', () => {
  it('keeps refusing over the limit with the in-process insurance limiter', async () => {
    const port = await sparePort();
    const dead = createRedisClient(
      { kind: 'url', url: `redis://127.0.0.1:${port}`, tls: false, tlsCa: null },
      silent,
    )!;
    try {
      const { run, metrics } = limited(dead);
      for (let i = 0; i < 3; i += 1)
        expect(await run('mutation { signUp }')).toEqual({ data: { signUp: true } });
      expect(refusals(await run('mutation { signUp }'))).toEqual([{ code: 'RATE_LIMITED', path: 'signUp' }]);
      expect(
        refusals(
          await run(
            'mutation { a: signIn(email: "dave@example.com") b: signIn(email: "dave@example.com") c: signIn(email: "dave@example.com") }',
          ),
        ),
      ).toEqual([{ code: 'RATE_LIMITED', path: 'c' }]);
      expect(await rejections(metrics)).toEqual({ signUp: 1, signIn: 1 });
    } finally {
      dead.disconnect();
    }
  });
});

describe('Retry-After header', () => {
  async function answer(document: string): Promise<{ header: string | undefined; retryAfters: unknown[] }> {
    const server = new ApolloServer<Context>({
      schema: schemaForPlugin,
      plugins: [retryAfterPlugin()],
    });
    await server.start();
    try {
      const response = await server.executeOperation(
        { query: document },
        {
          contextValue: { client: { ip: '203.0.113.80', userAgent: null }, auth: null } as unknown as Context,
        },
      );
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return {
        header: response.http.headers.get('retry-after'),
        retryAfters: (response.body.singleResult.errors ?? []).map((e) => e.extensions?.retryAfter),
      };
    } finally {
      await server.stop();
    }
  }
  let schemaForPlugin: GraphQLSchema;
  beforeAll(() => {
    schemaForPlugin = applyRateLimits(annotateRateLimits(baseSchema(), LIMITS), {
      redis: null,
      keyPrefix: 'plinto-test:rl-unit:plugin:',
      metrics: new Metrics(),
      refusal: (seconds) => new RateLimitedError(seconds),
      emailHash,
    });
  });

  it('sends the refusal’s retryAfter, the largest of several', async () => {
    const { header, retryAfters } = await answer(
      'mutation { a: slow b: slow c: signUp d: signUp e: signUp f: signUp }',
    );
    expect(retryAfters).toHaveLength(2);
    const largest = Math.max(...(retryAfters as number[]));
    expect(largest).toBeGreaterThan(60);
    expect(header).toBe(String(largest));
  });

  it('takes the largest retryAfter of RATE_LIMITED errors only', async () => {
    const { header } = await answer(
      '{ a: fail(code: "RATE_LIMITED", retryAfter: 7) b: fail(code: "RATE_LIMITED", retryAfter: 40) c: fail(code: "BAD_USER_INPUT", retryAfter: 900) }',
    );
    expect(header).toBe('40');
  });

  it('sends no header for a success, another error, or a retryAfter that is missing, zero or negative', async () => {
    expect((await answer('{ ping }')).header).toBeUndefined();
    expect((await answer('{ fail(code: "BAD_USER_INPUT", retryAfter: 30) }')).header).toBeUndefined();
    for (const retryAfter of ['', '(retryAfter: 0)', '(retryAfter: -5)', '(retryAfter: null)']) {
      const args = retryAfter ? retryAfter.replace('(', '(code: "RATE_LIMITED", ') : '(code: "RATE_LIMITED")';
      expect((await answer(`{ fail${args} }`)).header, retryAfter).toBeUndefined();
    }
  });
});

describe('Redis health watch', () => {
  const redisServer = { current: null as PrivateRedis | null };
  afterEach(async () => {
    vi.useRealTimers();
    await redisServer.current?.kill();
  });

  const gauge = async (metrics: Metrics) => (await metrics.redisDegraded.get()).values[0]?.value ?? 0;
  const once = (client: Redis, event: string, times = 1) =>
    new Promise<void>((resolve) => {
      let seen = 0;
      const on = () => {
        seen += 1;
        if (seen < times) return;
        client.off(event, on);
        resolve();
      };
      client.on(event, on);
    });
  const messages = (log: CapturedLog) => log.lines.map((line) => `${line.level} ${line.msg}`);
  const WARN_DOWN = '40 redis unreachable: rate limits fall back to the in-process insurance limiter';
  const INFO_UP = '30 redis reachable again: rate limits are shared again';

  async function watched(retryDelayMs = 20) {
    const server = new PrivateRedis(await sparePort());
    redisServer.current = server;
    await server.start();
    const client = new Redis(server.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => retryDelayMs,
    });
    // Refused connections are the point of these tests; ioredis would print each one otherwise.
    client.on('error', () => undefined);
    const metrics = new Metrics();
    const log = new CapturedLog();
    const stop = watchRedisHealth(client, metrics, createLogger('info', log));
    await client.connect();
    return { server, client, metrics, log, stop };
  }

  it('marks the outage once, however many attempts fail, and the recovery once', async () => {
    const { server, client, metrics, log, stop } = await watched();
    try {
      expect(await gauge(metrics)).toBe(0);
      expect(messages(log)).toEqual([]);
      const failing = once(client, 'reconnecting', 4);
      await server.kill();
      await failing;
      expect(await gauge(metrics)).toBe(1);
      expect(messages(log)).toEqual([WARN_DOWN]);
      const ready = once(client, 'ready');
      await server.start();
      await ready;
      expect(await gauge(metrics)).toBe(0);
      expect(messages(log)).toEqual([WARN_DOWN, INFO_UP]);
    } finally {
      stop();
      client.disconnect();
    }
  });

  it('marks the outage when the connection closes, before any attempt to connect again fails', async () => {
    // The next attempt is 10 minutes away: only the close of the connection can tell.
    const { server, client, metrics, log, stop } = await watched(600_000);
    const errors: Error[] = [];
    client.on('error', (error: Error) => errors.push(error));
    try {
      const closed = once(client, 'close');
      await server.kill();
      await closed;
      expect(client.status).toBe('reconnecting');
      expect(errors).toEqual([]);
      expect(await gauge(metrics)).toBe(1);
      expect(messages(log)).toEqual([WARN_DOWN]);
    } finally {
      stop();
      client.disconnect();
    }
  });

  it('counts a client that ended as an outage until it is connected again (createRedisClient reconnects it)', async () => {
    const { client, metrics, log, stop } = await watched();
    try {
      const ended = once(client, 'end');
      client.disconnect();
      await ended;
      expect(client.status).toBe('end');
      expect(await gauge(metrics)).toBe(1);
      expect(messages(log)).toEqual([WARN_DOWN]);
      // The watch itself never connects: the restart lives in createRedisClient (test/unit/redis-client.test.ts).
      const ready = once(client, 'ready');
      await client.connect();
      await ready;
      expect(await gauge(metrics)).toBe(0);
      expect(messages(log)).toEqual([WARN_DOWN, INFO_UP]);
    } finally {
      stop();
      client.disconnect();
    }
  });

  it('stops listening when stopped: a later outage, recovery or end changes nothing', async () => {
    const { server, client, metrics, log, stop } = await watched();
    try {
      stop();
      const failing = once(client, 'reconnecting', 3);
      await server.kill();
      await failing;
      expect(await gauge(metrics)).toBe(0);
      expect(messages(log)).toEqual([]);
      // A second watch sees the outage; stopped, it does not see the recovery.
      const again = new CapturedLog();
      const stopAgain = watchRedisHealth(client, metrics, createLogger('info', again));
      await once(client, 'reconnecting', 2);
      expect(await gauge(metrics)).toBe(1);
      expect(messages(again)).toEqual([WARN_DOWN]);
      stopAgain();
      const ready = once(client, 'ready');
      await server.start();
      await ready;
      expect(await gauge(metrics)).toBe(1);
      expect(messages(again)).toEqual([WARN_DOWN]);
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const ended = once(client, 'end');
      client.disconnect();
      await ended;
      vi.advanceTimersByTime(5000);
      expect(client.status).toBe('end');
      expect(messages(again)).toEqual([WARN_DOWN]);
      expect(messages(log)).toEqual([]);
    } finally {
      stop();
      client.disconnect();
    }
  });
});
