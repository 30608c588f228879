import { beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/storage/transaction.js';
import { User } from '../../src/storage/entities/index.js';
import { BACKENDS } from '../helpers/database.js';
import { bearer, gql, SIGN_IN, signUpUser } from '../helpers/graphql.js';
import type { SignedInUser } from '../helpers/graphql.js';
import { useServer } from '../helpers/use-server.js';

const AUDIT_LOG = `query AuditLog($first: Int, $after: String) {
  auditLog(first: $first, after: $after) {
    edges { cursor node { id kind result sessionId ip userAgent createdAt } }
    nodes { id kind result sessionId }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface AuditNode {
  id: string;
  kind: string;
  result: string;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
}

describe.each(BACKENDS)('audit trail (%s)', (backend) => {
  const ctx = useServer(backend);
  let alice: SignedInUser;
  let bob: SignedInUser;
  let aliceSecondSession: string;

  async function auditLog(user: SignedInUser, variables: Record<string, unknown> = {}) {
    return gql(ctx.server.url, AUDIT_LOG, variables, bearer(user.accessToken));
  }

  async function allEvents(user: SignedInUser): Promise<AuditNode[]> {
    const response = await auditLog(user, { first: 100 });
    return response.body.data?.auditLog.edges.map((edge: { node: AuditNode }) => edge.node);
  }

  beforeAll(async () => {
    alice = await signUpUser(ctx.server.url);
    bob = await signUpUser(ctx.server.url);
    const agent = { 'user-agent': 'AuditTest/1.0 (alice laptop)' };
    const wrong = await gql(
      ctx.server.url,
      SIGN_IN,
      { email: alice.email, password: 'not it at all 42' },
      agent,
    );
    expect(wrong.body.data?.signIn.__typename).toBe('InvalidCredentials');
    const second = await gql(
      ctx.server.url,
      SIGN_IN,
      { email: alice.email, password: alice.password },
      agent,
    );
    const tokens = second.body.data?.signIn.tokens;
    aliceSecondSession = second.body.data?.signIn.session.id;
    const signOut = await gql(
      ctx.server.url,
      'mutation { signOut }',
      {},
      { ...bearer(tokens.accessToken), ...agent },
    );
    expect(signOut.body.data).toEqual({ signOut: true });
    // Bob's own activity, including a failure on his account, must never reach Alice's log.
    await gql(ctx.server.url, SIGN_IN, { email: bob.email, password: 'not it at all 43' });
    await gql(ctx.server.url, SIGN_IN, { email: bob.email, password: bob.password });
  });

  it("returns the user's own security events, newest first, with ip and user agent", async () => {
    const events = await allEvents(alice);
    expect(events.map((e) => `${e.kind}:${e.result}`)).toEqual([
      'sign_out:success',
      'sign_in:success',
      'sign_in:failure',
      'sign_up:success',
    ]);
    const [signOut, signIn, failure] = events;
    expect(signOut!.sessionId).toBe(aliceSecondSession);
    expect(signIn!.sessionId).toBe(aliceSecondSession);
    for (const event of [signOut!, signIn!, failure!]) {
      expect(event.ip).toBe('127.0.0.1');
      expect(event.userAgent).toBe('AuditTest/1.0 (alice laptop)');
    }
    const times = events.map((e) => Date.parse(e.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it("never returns another user's events", async () => {
    const aliceEvents = await allEvents(alice);
    const bobEvents = await allEvents(bob);
    expect(bobEvents.map((e) => `${e.kind}:${e.result}`)).toEqual([
      'sign_in:success',
      'sign_in:failure',
      'sign_up:success',
    ]);
    const aliceIds = new Set(aliceEvents.map((e) => e.id));
    expect(bobEvents.some((e) => aliceIds.has(e.id))).toBe(false);
    expect(aliceEvents.some((e) => e.sessionId === bob.sessionId)).toBe(false);

    // A cursor taken from Bob's log only says where to resume: Alice still sees only her own events.
    const bobPage = await auditLog(bob, { first: 1 });
    const foreignCursor = bobPage.body.data?.auditLog.pageInfo.endCursor;
    const resumed = await auditLog(alice, { first: 100, after: foreignCursor });
    const resumedIds: string[] = resumed.body.data?.auditLog.nodes.map((n: { id: string }) => n.id);
    expect(resumedIds.every((id) => aliceIds.has(id))).toBe(true);
  });

  it('pages with opaque cursors without gaps or repeats', async () => {
    const everything = (await allEvents(alice)).map((e) => e.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const response = await auditLog(alice, { first: 3, after });
      const connection = response.body.data?.auditLog;
      expect(connection.nodes.map((n: { id: string }) => n.id)).toEqual(
        connection.edges.map((e: { node: { id: string } }) => e.node.id),
      );
      seen.push(...connection.nodes.map((n: { id: string }) => n.id));
      if (!connection.pageInfo.hasNextPage) break;
      expect(connection.nodes).toHaveLength(3);
      after = connection.pageInfo.endCursor;
      expect(after).not.toContain(connection.nodes.at(-1).id);
    }
    expect(seen).toEqual(everything);
    expect(everything).toHaveLength(4);
  });

  it('refuses a forged cursor, a bad page size and an anonymous caller', async () => {
    const forged = await auditLog(alice, { after: 'not-a-cursor' });
    expect(forged.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const tooMany = await auditLog(alice, { first: 1000 });
    expect(tooMany.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const anonymous = await gql(ctx.server.url, AUDIT_LOG, {});
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('stores any event kind, also when a flow records it inside its own transaction', async () => {
    const { orm, events } = ctx.server.app.services;
    // A user of its own: the other tests count Alice's events, in whatever order they run.
    const carol = await signUpUser(ctx.server.url);
    await inTransaction(orm.em.fork(), async (tx) => {
      // A write first, so the transaction holds its lock when the event is recorded.
      await tx.nativeUpdate(User, { id: carol.userId }, { updatedAt: new Date() });
      await events.record({
        kind: 'mfa_enabled',
        result: 'success',
        userId: carol.userId,
        client: { ip: '203.0.113.9', userAgent: 'flow-in-transaction' },
        em: tx,
      });
    });
    await events.record({ kind: 'password_reset', result: 'success', userId: carol.userId, client: null });
    const [latest, previous] = await allEvents(carol);
    expect(latest).toMatchObject({ kind: 'password_reset', result: 'success', ip: null, userAgent: null });
    expect(previous).toMatchObject({
      kind: 'mfa_enabled',
      ip: '203.0.113.9',
      userAgent: 'flow-in-transaction',
    });
  });

  it('is append-only in the database itself', async () => {
    // Self-contained: it counts the rows it finds, whatever ran before it (or did not).
    const connection = ctx.server.app.services.orm.em.getConnection();
    const count = async () =>
      Number((await connection.execute('select count(*) as n from audit_events'))[0].n);
    const before = await count();
    expect(before).toBeGreaterThan(0);
    await expect(connection.execute(`update audit_events set kind = 'forged'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(connection.execute('delete from audit_events')).rejects.toThrow(/append-only/);
    expect(await count()).toBe(before);
    expect((await allEvents(alice)).map((event) => event.kind)).not.toContain('forged');
  });
});

describe('audit trail truncation (postgresql)', () => {
  const ctx = useServer('postgresql');

  it('refuses TRUNCATE of the audit table through the app’s own connection', async () => {
    const { orm, events } = ctx.server.app.services;
    await signUpUser(ctx.server.url);
    await events.record({ kind: 'password_reset', result: 'success', userId: null, client: null });
    const connection = orm.em.getConnection();
    const count = async () =>
      Number((await connection.execute('select count(*) as n from audit_events'))[0].n);
    const before = await count();
    expect(before).toBeGreaterThanOrEqual(2);
    await expect(connection.execute('truncate audit_events')).rejects.toThrow(/append-only/);
    await expect(connection.execute('truncate table audit_events restart identity cascade')).rejects.toThrow(
      /append-only/,
    );
    expect(await count()).toBe(before);
  });
});
