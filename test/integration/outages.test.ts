import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, cutOffDatabase, restoreDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { bearer, gql, ME, REFRESH, SIGN_IN, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import { PrivateRedis, sparePort } from '../helpers/private-redis.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';

const SIGN_OUT = `mutation { signOut }`;
const WRONG = 'not the password 123';

/** Polls a condition (no timing assertion: the test timeout is the only bound). */
async function eventually(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('GraphQL while PostgreSQL is unreachable', () => {
  const ctx = useServer('postgresql');
  // Runs before useServer's teardown (vitest runs afterAll hooks last registered, first): a test
  // that failed mid-outage must not leave the database refusing the server's close.
  afterAll(async () => {
    await restoreDatabase(ctx.database).catch(() => undefined);
  });

  it('answers SERVICE_UNAVAILABLE without driver text, and serves again once PostgreSQL is back', async () => {
    const user = await signUpUser(ctx.server.url);
    await cutOffDatabase(ctx.database);

    const down = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    expect(down.body.data?.signIn ?? null).toBeNull();
    expect(down.body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    // An outage is never the client's fault, and never described: no host, database, SQL or stack.
    expect(down.text).not.toMatch(/postgres|plinto_test|allow|terminat|ECONN|select |stack|\.ts:/i);
    expect(down.body.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });

    // The refresh rotation goes to `pg` itself (src/storage/pooled-query.ts), not through the ORM:
    // its errors are masked the same way, and the token is not consumed by the failed attempt.
    const refreshDown = await gql(ctx.server.url, REFRESH, { refreshToken: user.refreshToken });
    expect(refreshDown.body.data?.refreshSession ?? null).toBeNull();
    expect(refreshDown.body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(refreshDown.text).not.toMatch(/postgres|plinto_test|allow|terminat|ECONN|select |stack|\.ts:/i);

    await restoreDatabase(ctx.database);
    await eventually(async () => {
      const up = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
      return up.body.data?.signIn?.__typename === 'SignInSuccess';
    });
    const refreshUp = await gql(ctx.server.url, REFRESH, { refreshToken: user.refreshToken });
    expect(refreshUp.body.data?.refreshSession.__typename).toBe('SignInSuccess');
  });
});

describe('sessions and sign-in while Redis is down', () => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  let server: TestServer;

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    redis = new PrivateRedis(await sparePort());
    await redis.start();
    server = await startServer(database, {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `plinto-outage-${randomBytes(4).toString('hex')}:`,
    });
  });
  afterAll(async () => {
    await server?.close();
    await redis?.kill();
    await database?.drop();
  });

  it('refuses a revoked access token at once: session liveness falls back to the database', async () => {
    const user = await signUpUser(server.url);
    // The session is cached live in Redis before the outage.
    expect((await gql(server.url, ME, {}, bearer(user.accessToken))).body.data?.me.id).toBe(user.userId);

    await redis.kill();
    expect((await gql(server.url, ME, {}, bearer(user.accessToken))).body.data?.me.id).toBe(user.userId);
    const refreshed = await gql(server.url, REFRESH, { refreshToken: user.refreshToken });
    expect(refreshed.body.data?.refreshSession.__typename).toBe('SignInSuccess');
    const accessToken = refreshed.body.data?.refreshSession.tokens.accessToken as string;

    expect((await gql(server.url, SIGN_OUT, {}, bearer(accessToken))).body.data?.signOut).toBe(true);
    const after = await gql(server.url, ME, {}, bearer(accessToken));
    expect(after.body.data?.me ?? null).toBeNull();
    expect(after.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // The JWT is still unexpired: only the live-session check can have refused it.
    const { exp } = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8'));
    expect(exp * 1000).toBeGreaterThan(Date.now());
    await redis.start();
  });

  it('keeps counting sign-in failures per email: the sixth attempt is TooManyAttempts', async () => {
    const user = await signUpUser(server.url);
    const unknown = uniqueEmail('nobody');
    await redis.kill();
    const signIn = async (email: string, password: string) =>
      (await gql(server.url, SIGN_IN, { email, password })).body.data?.signIn.__typename;
    for (let i = 0; i < 5; i += 1) {
      expect(await signIn(user.email, WRONG)).toBe('InvalidCredentials');
      expect(await signIn(unknown, WRONG)).toBe('InvalidCredentials');
    }
    // Even the right password waits, and an unknown address is locked the same way.
    expect(await signIn(user.email, user.password)).toBe('TooManyAttempts');
    expect(await signIn(unknown, WRONG)).toBe('TooManyAttempts');
    await redis.start();
  });
});
