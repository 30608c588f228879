import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, gql, ME, REFRESH, SIGN_IN, SIGN_UP, STRONG_PASSWORD } from '../helpers/graphql.js';
import { WebhookDelivery, WebhookEndpoint } from '../../src/storage/entities/index.js';
import { recordDriverQueries } from '../helpers/driver-queries.js';
import { quietBackgroundWork } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';

const SESSIONS = `query { sessions { id current createdAt lastUsedAt expiresAt ip userAgent } }`;
const AUDIT_LOG = `query($first: Int!) {
  auditLog(first: $first) {
    edges { cursor node { id kind result sessionId ip userAgent createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/**
 * No N+1: what a query costs in SQL statements does not grow with the rows it returns. The
 * statements are counted at MikroORM's query hook, on a real server and a real database.
 */
describe('SQL statements per operation', () => {
  const ctx = useServer('postgresql');
  let accessToken: string;
  let statements = 0;
  const email = 'queries@example.com';

  let refreshToken: string;

  beforeAll(async () => {
    const signUp = await gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    accessToken = signUp.body.data?.signUp.tokens.accessToken as string;
    refreshToken = signUp.body.data?.signUp.tokens.refreshToken as string;
    // The refresh is counted at the driver, where the background polls would show too.
    await quietBackgroundWork(ctx.server);
    ctx.server.app.services.orm.config.set('onQuery', (sql: string) => {
      statements += 1;
      return sql;
    });
  });

  /** Runs the operation twice (the second is the steady state: caches warm) and counts the second. */
  const statementsOf = async (query: string, variables: Record<string, unknown> = {}) => {
    const first = await gql(ctx.server.url, query, variables, bearer(accessToken));
    expect(first.body.errors).toBeUndefined();
    statements = 0;
    const second = await gql(ctx.server.url, query, variables, bearer(accessToken));
    expect(second.body.errors).toBeUndefined();
    return { count: statements, data: second.body.data };
  };

  it('answers me with no statement once the session liveness and the profile are cached', async () => {
    const { count, data } = await statementsOf(ME);
    expect(data?.me.email).toBe(email);
    expect(count).toBe(0);
  });

  it('lists 1 or 21 sessions, and 1 or 40-odd audit events, with the same number of statements', async () => {
    const fewSessions = await statementsOf(SESSIONS);
    const fewEvents = await statementsOf(AUDIT_LOG, { first: 100 });
    expect(fewSessions.data?.sessions).toHaveLength(1);

    for (let i = 0; i < 20; i += 1) {
      const signIn = await gql(ctx.server.url, SIGN_IN, { email, password: STRONG_PASSWORD });
      expect(signIn.body.data?.signIn.__typename).toBe('SignInSuccess');
    }
    const manySessions = await statementsOf(SESSIONS);
    const manyEvents = await statementsOf(AUDIT_LOG, { first: 100 });
    expect(manySessions.data?.sessions).toHaveLength(21);
    expect(manyEvents.data?.auditLog.edges.length).toBeGreaterThan(
      fewEvents.data?.auditLog.edges.length + 19,
    );

    expect(manySessions.count).toBe(fewSessions.count);
    expect(manyEvents.count).toBe(fewEvents.count);
    // And small in absolute terms: the list itself plus at most the caller's profile.
    expect(manySessions.count).toBeLessThanOrEqual(2);
    expect(manyEvents.count).toBeLessThanOrEqual(2);
  });

  it('rotates a refresh token in one statement: read, checks and rotation in one function call', async () => {
    // Counted at the driver: the rotation goes to `pg` with bound parameters, not through the ORM.
    const driver = recordDriverQueries();
    const counts: number[] = [];
    try {
      for (let i = 0; i < 2; i += 1) {
        driver.texts.length = 0;
        const refreshed = await gql(ctx.server.url, REFRESH, { refreshToken });
        expect(refreshed.body.data?.refreshSession.__typename).toBe('SignInSuccess');
        const next = refreshed.body.data?.refreshSession.tokens.refreshToken as string;
        expect(next).not.toBe(refreshToken);
        refreshToken = next;
        counts.push(driver.texts.length);
      }
    } finally {
      driver.restore();
    }
    expect(counts).toEqual([1, 1]);
  });
});

describe('SQL statements and Redis commands per password sign-in (issue 24)', () => {
  const ctx = useServer('postgresql');
  const email = 'sign-in-queries@example.com';
  const statements: string[] = [];
  const redisCommands: string[] = [];

  beforeAll(async () => {
    const signUp = await gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    expect(signUp.body.data?.signUp.__typename).toBe('SignInSuccess');
    await quietBackgroundWork(ctx.server);
    const { services } = ctx.server.app;
    services.orm.config.set('onQuery', (sql: string) => {
      statements.push(sql);
      return sql;
    });
    const redis = services.redis!;
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = ((command: { name: string }) => {
      redisCommands.push(command.name);
      return send(command as Parameters<typeof send>[0]);
    }) as typeof redis.sendCommand;
  });

  const signIn = async () => {
    statements.length = 0;
    redisCommands.length = 0;
    const answer = await gql(ctx.server.url, SIGN_IN, { email, password: STRONG_PASSWORD });
    expect(answer.body.data?.signIn.__typename).toBe('SignInSuccess');
    const counted = { statements: [...statements], redis: [...redisCommands] };
    // The session and its refresh token were written: the token rotates.
    const refreshed = await gql(ctx.server.url, REFRESH, {
      refreshToken: answer.body.data?.signIn.tokens.refreshToken,
    });
    expect(refreshed.body.data?.refreshSession.__typename).toBe('SignInSuccess');
    return { ...counted, sessionId: answer.body.data?.signIn.session.id as string };
  };
  const deliveriesOf = async (sessionId: string) =>
    (
      await ctx.server.app.services.orm.em
        .fork()
        .find(WebhookDelivery, { eventType: 'session.created' }, { orderBy: { createdAt: 'asc' } })
    ).filter((d) => ctx.server.app.services.webhooks.openPayload(d).includes(sessionId));

  it('reads the user, writes the session with its refresh token in one statement, then the audit event; Redis: the failure records, their reset, the liveness entry', async () => {
    await signIn();
    const { statements: sql, redis } = await signIn();
    expect(sql).toHaveLength(3);
    expect(sql[0]).toMatch(/from "?users/);
    expect(sql[1]).toMatch(/insert into sessions[\s\S]*insert into refresh_tokens/);
    expect(sql[2]).toMatch(/insert into "?audit_events/);
    expect(redis).toEqual(['evalsha', 'del', 'set']);
  });

  it('writes the delivery of an endpoint subscribed to session.created in the session’s own statement, and none for one that is not', async () => {
    const em = ctx.server.app.services.orm.em.fork();
    em.create(WebhookEndpoint, {
      url: 'https://hooks.example.com/other',
      events: 'user.created,session.revoked',
      secret: 'unused',
    });
    await em.flush();
    const unsubscribed = await signIn();
    expect(unsubscribed.statements).toHaveLength(3);
    expect(await deliveriesOf(unsubscribed.sessionId)).toHaveLength(0);

    const subscribed = em.create(WebhookEndpoint, {
      url: 'https://hooks.example.com/sessions',
      events: 'user.created,session.created',
      secret: 'unused',
    });
    await em.flush();
    const delivered = await signIn();
    const deliveries = await deliveriesOf(delivered.sessionId);
    expect(deliveries.map((d) => d.endpointId)).toEqual([subscribed.id]);
    // Still three: the deliveries are written by the session's own statement.
    expect(delivered.statements).toHaveLength(3);
    expect(delivered.statements[1]).toMatch(
      /insert into sessions[\s\S]*insert into refresh_tokens[\s\S]*insert into webhook_deliveries/,
    );

    // A disabled endpoint gets nothing.
    subscribed.disabledAt = new Date();
    await em.flush();
    const disabled = await signIn();
    expect(disabled.statements).toHaveLength(3);
    expect(await deliveriesOf(disabled.sessionId)).toHaveLength(0);
  });
});

describe('SQL statements per sign-up (issue 22)', () => {
  const ctx = useServer('postgresql');
  let n = 0;

  /** An enabled endpoint subscribed to both events of a sign-up, straight into the table. */
  const registerEndpoint = async (url: string) => {
    const em = ctx.server.app.services.orm.em.fork();
    const endpoint = em.create(WebhookEndpoint, {
      url,
      events: 'user.created,session.created',
      secret: 'unused',
    });
    await em.flush();
    return endpoint;
  };

  const signUp = async () => {
    const email = `sign-up-queries-${(n += 1)}@example.com`;
    const recorded = recordDriverQueries();
    let answer;
    try {
      answer = await gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    } finally {
      recorded.restore();
    }
    expect(answer.body.data?.signUp.__typename).toBe('SignInSuccess');
    const userId = answer.body.data?.signUp.user.id as string;
    const deliveries = await ctx.server.app.services.orm.em
      .fork()
      .find(WebhookDelivery, {}, { orderBy: { createdAt: 'asc' } });
    const mine = deliveries.filter((d) => ctx.server.app.services.webhooks.openPayload(d).includes(userId));
    return { statements: recorded.texts, types: mine.map((d) => d.eventType).sort() };
  };

  it('writes the account, then the session with its refresh token, then the audit event: three statements, with or without an endpoint', async () => {
    await quietBackgroundWork(ctx.server);
    // No enabled endpoint (tests run in a random order: the other one may have registered one).
    await ctx.server.app.services.orm.em
      .fork()
      .nativeUpdate(WebhookEndpoint, { disabledAt: null }, { disabledAt: new Date() });
    await signUp();
    const plain = await signUp();
    expect(plain.statements).toHaveLength(3);
    expect(plain.statements[0]).toMatch(/insert into users/);
    expect(plain.statements[1]).toMatch(/insert into sessions[\s\S]*insert into refresh_tokens/);
    expect(plain.statements[2]).toMatch(/insert into "?audit_events/);
    expect(plain.types).toEqual([]);

    await registerEndpoint('https://hooks.example.com/accounts');
    const hooked = await signUp();
    expect(hooked.statements).toHaveLength(3);
    expect(hooked.statements[0]).toMatch(/insert into users[\s\S]*insert into webhook_deliveries/);
    expect(hooked.types).toEqual(['session.created', 'user.created']);
  });

  it('answers a taken address as before: the one statement fails on the unique index and writes no delivery', async () => {
    const endpoint = await registerEndpoint('https://hooks.example.com/taken');
    // Eight at once, for one address written eight ways: one account, and its deliveries only.
    const variants = ['taken@example.com', 'Taken@example.com', 'TAKEN@example.com', 'taken@Example.com'];
    const answers = await Promise.all(
      [...variants, ...variants].map((email) =>
        gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD }),
      ),
    );
    expect(answers.map((a) => a.body.errors)).toEqual(answers.map(() => undefined));
    const types = answers.map((a) => a.body.data?.signUp.__typename as string).sort();
    expect(types).toEqual([...Array(7).fill('EmailTaken'), 'SignInSuccess'].sort());
    const winner = answers.find((a) => a.body.data?.signUp.__typename === 'SignInSuccess')!.body.data?.signUp
      .user.id as string;
    const deliveries = await ctx.server.app.services.orm.em
      .fork()
      .find(WebhookDelivery, { endpointId: endpoint.id }, { orderBy: { eventType: 'asc' } });
    expect(deliveries.map((d) => d.eventType)).toEqual(['session.created', 'user.created']);
    for (const delivery of deliveries) {
      expect(JSON.parse(ctx.server.app.services.webhooks.openPayload(delivery)).data.userId).toBe(winner);
    }
  });
});
