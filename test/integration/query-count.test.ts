import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, gql, ME, REFRESH, SIGN_IN, SIGN_UP, STRONG_PASSWORD } from '../helpers/graphql.js';
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
    const counts: number[] = [];
    for (let i = 0; i < 2; i += 1) {
      statements = 0;
      const refreshed = await gql(ctx.server.url, REFRESH, { refreshToken });
      expect(refreshed.body.data?.refreshSession.__typename).toBe('SignInSuccess');
      const next = refreshed.body.data?.refreshSession.tokens.refreshToken as string;
      expect(next).not.toBe(refreshToken);
      refreshToken = next;
      counts.push(statements);
    }
    expect(counts).toEqual([1, 1]);
  });
});
