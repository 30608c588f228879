import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from '../../src/storage/entities/index.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { gql, SIGN_IN, SIGN_UP, signUpUser, STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { gqlFrom } from '../helpers/local-address.js';
import { passwordChecks, rateLimitRejections } from '../helpers/metrics.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';

const LIMITS_ON = { RATE_LIMITS_ENABLED: 'true' };

function expectRateLimited(response: Awaited<ReturnType<typeof gql>>): number {
  const error = response.body.errors?.[0];
  expect(error?.extensions?.code, response.text).toBe('RATE_LIMITED');
  const retryAfter = error?.extensions?.retryAfter as number;
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(response.headers.get('retry-after')).toBe(String(retryAfter));
  return retryAfter;
}

describe('rate limits over a real Redis', () => {
  let database: TestDatabase;
  const servers: TestServer[] = [];
  const start = async (env: Record<string, string>) => {
    const server = await startServer(database, { ...LIMITS_ON, ...env });
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await database?.drop();
  });

  it('refuses the 4th signUp from one IP with RATE_LIMITED, retryAfter and Retry-After; another IP is unaffected', async () => {
    const server = await start({});
    for (let i = 0; i < 3; i += 1) {
      const ok = await gql(server.url, SIGN_UP, { email: uniqueEmail('su'), password: STRONG_PASSWORD });
      expect(ok.body.data?.signUp.__typename).toBe('SignInSuccess');
    }
    const refusedEmail = uniqueEmail('su-refused');
    const refused = await gql(server.url, SIGN_UP, { email: refusedEmail, password: STRONG_PASSWORD });
    expectRateLimited(refused);
    expect(refused.body.data ?? null).toBeNull();
    // Refused before the resolver ran: no account was created.
    expect(await server.app.services.orm.em.fork().count(User, { email: refusedEmail })).toBe(0);
    expect(await rateLimitRejections(server.app.services.metrics, 'signUp')).toBe(1);
    const exposition = await (await fetch(`${server.url}/metrics`)).text();
    expect(exposition).toContain('plinto_rate_limit_rejections_total{field="signUp"} 1');

    const otherIp = await gqlFrom(server.url, '127.0.0.2', SIGN_UP, {
      email: uniqueEmail('su-other'),
      password: STRONG_PASSWORD,
    });
    expect(otherIp.body.data?.signUp.__typename, otherIp.text).toBe('SignInSuccess');
  });

  it('refuses the 6th signIn from one IP; a forged X-Forwarded-For changes nothing without TRUST_PROXY', async () => {
    const server = await start({});
    const user = await signUpUser(server.url);
    for (let i = 0; i < 5; i += 1) {
      const ok = await gql(
        server.url,
        SIGN_IN,
        { email: user.email, password: user.password },
        {
          'x-forwarded-for': `198.51.100.${i + 1}`,
        },
      );
      expect(ok.body.data?.signIn.__typename, ok.text).toBe('SignInSuccess');
    }
    const forged = await gql(
      server.url,
      SIGN_IN,
      { email: user.email, password: user.password },
      {
        'x-forwarded-for': '198.51.100.99',
      },
    );
    expectRateLimited(forged);
    expect(await rateLimitRejections(server.app.services.metrics, 'signIn')).toBe(1);
  });

  it('honours X-Forwarded-For from a proxy allowed by TRUST_PROXY', async () => {
    const server = await start({ TRUST_PROXY: 'loopback' });
    const user = await signUpUser(server.url);
    const as = (ip: string) =>
      gql(server.url, SIGN_IN, { email: user.email, password: user.password }, { 'x-forwarded-for': ip });
    for (let i = 0; i < 5; i += 1)
      expect((await as('203.0.113.7')).body.data?.signIn.__typename).toBe('SignInSuccess');
    expectRateLimited(await as('203.0.113.7'));
    const second = await as('203.0.113.8');
    expect(second.body.data?.signIn.__typename, second.text).toBe('SignInSuccess');
  });

  it('counts each alias: a document with 10 aliased signIn fields runs at most 5 password checks', async () => {
    const server = await start({});
    const user = await signUpUser(server.url);
    const fields = Array.from(
      { length: 10 },
      (_, i) => `a${i}: signIn(input: { email: $email, password: $password }) { __typename }`,
    ).join('\n');
    const before = await passwordChecks(server.app.services.metrics);
    const response = await gql(
      server.url,
      `mutation Many($email: String!, $password: String!) { ${fields} }`,
      {
        email: user.email,
        password: user.password,
      },
    );
    const checks = (await passwordChecks(server.app.services.metrics)) - before;
    expect(checks).toBeGreaterThanOrEqual(1);
    expect(checks).toBeLessThanOrEqual(5);
    expectRateLimited(response);
    // The 5 allowed aliases really ran: 5 new sessions for this user, no more.
    const sessions = await server.app.services.orm.em
      .fork()
      .getConnection()
      .execute('select count(*)::int as n from sessions where user_id = ?', [user.userId]);
    expect(sessions[0].n).toBe(1 + 5);
  });

  it('shares one limit between two server instances on the same Redis', async () => {
    const prefix = `plinto-test-shared-${randomBytes(4).toString('hex')}:`;
    const a = await start({ REDIS_KEY_PREFIX: prefix });
    const b = await start({ REDIS_KEY_PREFIX: prefix });
    const user = await signUpUser(a.url);
    const signIn = (server: TestServer) =>
      gql(server.url, SIGN_IN, { email: user.email, password: user.password });
    for (const server of [a, b, a, b, a]) {
      expect((await signIn(server)).body.data?.signIn.__typename).toBe('SignInSuccess');
    }
    expectRateLimited(await signIn(b));
  });

  it('limits one account from many IPs (per-account rule, overridden by RATE_LIMITS)', async () => {
    const server = await start({ RATE_LIMITS: 'signIn.account=3/60' });
    const user = await signUpUser(server.url);
    const from = (ip: string, email: string) =>
      gqlFrom(server.url, ip, SIGN_IN, { email, password: user.password });
    for (const ip of ['127.0.0.11', '127.0.0.12', '127.0.0.13']) {
      expect((await from(ip, user.email)).body.data?.signIn.__typename).toBe('SignInSuccess');
    }
    // Case and spacing do not make a new account key.
    expectRateLimited(await from('127.0.0.14', `  ${user.email.toUpperCase()} `));
    const other = await signUpUser(server.url);
    expect((await from('127.0.0.14', other.email)).body.data?.signIn.__typename).toBe('SignInSuccess');
  });
});

describe('rate limits in the embedded mode (SQLite, no Redis)', () => {
  const ctx = useServer('sqlite', LIMITS_ON);

  it('still limits, in process', async () => {
    expect(ctx.server.app.services.redis).toBeNull();
    for (let i = 0; i < 3; i += 1) {
      const ok = await gql(ctx.server.url, SIGN_UP, {
        email: uniqueEmail('embedded'),
        password: STRONG_PASSWORD,
      });
      expect(ok.body.data?.signUp.__typename).toBe('SignInSuccess');
    }
    expectRateLimited(
      await gql(ctx.server.url, SIGN_UP, { email: uniqueEmail('embedded'), password: STRONG_PASSWORD }),
    );
  });
});
