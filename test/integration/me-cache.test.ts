import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import { recordDriverQueries } from '../helpers/driver-queries.js';
import type { Backend, TestDatabase } from '../helpers/database.js';
import { bearer, gql, ME, REFRESH, signUpUser } from '../helpers/graphql.js';
import { BEGIN, CONFIRM, codeAt, withinOneStep } from '../helpers/mfa.js';
import { quietBackgroundWork, startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';

const SESSIONS = `query { sessions { id } }`;
const REVOKE = `mutation Revoke($id: ID!) { revokeSession(id: $id) }`;

/**
 * Every SQL statement the servers in this process send, counted twice: at MikroORM's query hook
 * (onQuery, every statement the ORM runs) and at the `pg` driver's Client#query (every statement
 * that leaves for PostgreSQL, whatever made it). Background loops are stopped, so the counts are
 * the requests' own.
 */
function countStatements(servers: TestServer[]) {
  let orm = 0;
  const statements: string[] = [];
  for (const server of servers) {
    server.app.services.orm.config.set('onQuery', (sql: string) => {
      orm += 1;
      statements.push(sql);
      return sql;
    });
  }
  /** The text of every statement at the driver (the refresh rotation goes to `pg` directly). */
  const driver = recordDriverQueries();
  return {
    get counts() {
      return { orm, driver: driver.texts.length };
    },
    statements,
    driverStatements: driver.texts,
    reset: () => {
      orm = 0;
      statements.length = 0;
      driver.texts.length = 0;
    },
    restore: driver.restore,
  };
}

describe('me on two instances sharing PostgreSQL and Redis (issue 24)', () => {
  let database: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let counter: ReturnType<typeof countStatements>;

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    // Two replicas: the same database, the same Redis key prefix. Keys are re-read only hourly,
    // so no reload falls into a counted window.
    const shared = {
      REDIS_KEY_PREFIX: `plinto-test-${randomBytes(4).toString('hex')}:`,
      SIGNING_KEY_RELOAD_SECONDS: '3600',
    };
    a = await startServer(database, shared);
    b = await startServer(database, shared);
    await Promise.all([quietBackgroundWork(a), quietBackgroundWork(b)]);
    counter = countStatements([a, b]);
  }, 60_000);
  afterAll(async () => {
    counter?.restore();
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  const me = (server: TestServer, accessToken: string) => gql(server.url, ME, {}, bearer(accessToken));

  it('answers a warm me without any SQL statement, counted at MikroORM and at the pg driver', async () => {
    const user = await signUpUser(a.url);
    // The first me of the user (on either instance) reads the row and fills the shared cache.
    expect((await me(b, user.accessToken)).body.data?.me.email).toBe(user.email);

    counter.reset();
    for (const server of [a, b, a, b, a]) {
      const response = await me(server, user.accessToken);
      expect(response.body.data?.me).toMatchObject({ id: user.userId, email: user.email, mfaEnabled: false });
    }
    expect(counter.counts).toEqual({ orm: 0, driver: 0 });

    // Both counters do count: a query that reads the database shows up in each.
    const sessions = await gql(b.url, SESSIONS, {}, bearer(user.accessToken));
    expect(sessions.body.data?.sessions).toHaveLength(1);
    expect(counter.counts.orm).toBeGreaterThan(0);
    expect(counter.counts.driver).toBeGreaterThanOrEqual(counter.counts.orm);
  });

  it('answers from the cache exactly what the database read answered, dates and roles included', async () => {
    await withinOneStep();
    const user = await signUpUser(a.url);
    // Every date field set (TOTP on), so that the cached form carries each one.
    const begin = await gql(a.url, BEGIN, {}, bearer(user.accessToken));
    const secret = begin.body.data?.beginTotpEnrollment.secret as string;
    await gql(a.url, CONFIRM, { code: codeAt(secret) }, bearer(user.accessToken));
    const FULL_ME = `query { me { id email emailVerified mfaEnabled createdAt roles } }`;
    const fromDatabase = (await gql(b.url, FULL_ME, {}, bearer(user.accessToken))).body.data?.me;
    expect(fromDatabase).toMatchObject({ id: user.userId, mfaEnabled: true, roles: [] });
    expect(Date.parse(fromDatabase.createdAt as string)).toBeGreaterThan(Date.now() - 60_000);

    counter.reset();
    for (const server of [a, b]) {
      const fromCache = (await gql(server.url, FULL_ME, {}, bearer(user.accessToken))).body.data?.me;
      expect(fromCache).toEqual(fromDatabase);
    }
    expect(counter.counts).toEqual({ orm: 0, driver: 0 });
  });

  it('shows a profile change made on one instance on the very next me on the other', async () => {
    await withinOneStep();
    const user = await signUpUser(a.url);
    expect((await me(b, user.accessToken)).body.data?.me.mfaEnabled).toBe(false);
    counter.reset();
    expect((await me(b, user.accessToken)).body.data?.me.mfaEnabled).toBe(false);
    expect(counter.counts).toEqual({ orm: 0, driver: 0 }); // served from the cache

    // TOTP turned on through instance A: the users row changes (totp_enabled_at).
    const begin = await gql(a.url, BEGIN, {}, bearer(user.accessToken));
    const secret = begin.body.data?.beginTotpEnrollment.secret as string;
    const confirm = await gql(a.url, CONFIRM, { code: codeAt(secret) }, bearer(user.accessToken));
    expect(confirm.body.data?.confirmTotpEnrollment.__typename).toBe('RecoveryCodes');

    expect((await me(b, user.accessToken)).body.data?.me.mfaEnabled).toBe(true);
    // And cached again from then on.
    counter.reset();
    expect((await me(b, user.accessToken)).body.data?.me.mfaEnabled).toBe(true);
    expect((await me(a, user.accessToken)).body.data?.me.mfaEnabled).toBe(true);
    expect(counter.counts).toEqual({ orm: 0, driver: 0 });
  });

  it('refuses a session revoked on one instance on the very next me on the other', async () => {
    const user = await signUpUser(a.url);
    // Another session of the same user: signed in again through B.
    const other = await gql(
      b.url,
      `mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { ... on SignInSuccess { session { id } tokens { accessToken } } } }`,
      { e: user.email, p: user.password },
    );
    const otherToken = other.body.data?.signIn.tokens.accessToken as string;
    const otherSession = other.body.data?.signIn.session.id as string;
    expect((await me(b, otherToken)).body.data?.me.email).toBe(user.email);
    expect((await me(a, otherToken)).body.data?.me.email).toBe(user.email);

    const revoked = await gql(a.url, REVOKE, { id: otherSession }, bearer(user.accessToken));
    expect(revoked.body.data).toEqual({ revokeSession: true });

    const refused = await me(b, otherToken);
    expect(refused.body.data?.me ?? null).toBeNull();
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // The revoking session itself is untouched, and still served from the cache.
    counter.reset();
    expect((await me(b, user.accessToken)).body.data?.me.email).toBe(user.email);
    expect(counter.counts).toEqual({ orm: 0, driver: 0 });
  });

  it('rotates a refresh token in one statement and no transaction on PostgreSQL: one round trip', async () => {
    const user = await signUpUser(a.url);
    counter.reset();
    const first = await gql(a.url, REFRESH, { refreshToken: user.refreshToken });
    expect(first.body.data?.refreshSession.__typename).toBe('SignInSuccess');
    // At the driver: no BEGIN, no COMMIT, one statement that reads, checks and rotates.
    expect(counter.counts.driver).toBe(1);
    expect(counter.driverStatements).toHaveLength(1);
    expect(counter.driverStatements[0]).toMatch(/^select \* from plinto_refresh_session\(\$1,/);

    // Reuse detection is unchanged: the rotated token again, from another client, is refused and
    // ends the session, so the successor is refused too.
    const next = first.body.data?.refreshSession.tokens.refreshToken as string;
    const thief = await gql(
      a.url,
      REFRESH,
      { refreshToken: user.refreshToken },
      { 'user-agent': 'thief/1.0' },
    );
    expect(thief.body.data?.refreshSession.__typename).toBe('InvalidToken');
    const after = await gql(b.url, REFRESH, { refreshToken: next });
    expect(after.body.data?.refreshSession.__typename).toBe('InvalidToken');
  });
});

describe.each(['sqlite', 'postgresql'] as Backend[])('me on one instance (%s)', (backend) => {
  let database: TestDatabase;
  let server: TestServer;
  let statements = 0;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    server = await startServer(database, { SIGNING_KEY_RELOAD_SECONDS: '3600' });
    await quietBackgroundWork(server);
    server.app.services.orm.config.set('onQuery', (sql: string) => {
      statements += 1;
      return sql;
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('is served without SQL once warm, and shows a profile change on the next request', async () => {
    await withinOneStep();
    const user = await signUpUser(server.url);
    const me = () => gql(server.url, ME, {}, bearer(user.accessToken));
    expect((await me()).body.data?.me.mfaEnabled).toBe(false);
    statements = 0;
    expect((await me()).body.data?.me.mfaEnabled).toBe(false);
    expect((await me()).body.data?.me.email).toBe(user.email);
    expect(statements).toBe(0);

    const begin = await gql(server.url, BEGIN, {}, bearer(user.accessToken));
    const secret = begin.body.data?.beginTotpEnrollment.secret as string;
    const confirm = await gql(server.url, CONFIRM, { code: codeAt(secret) }, bearer(user.accessToken));
    expect(confirm.body.data?.confirmTotpEnrollment.__typename).toBe('RecoveryCodes');
    expect((await me()).body.data?.me.mfaEnabled).toBe(true);
  });
});
