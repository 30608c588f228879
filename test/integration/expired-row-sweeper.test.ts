import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import {
  AuditEvent,
  MailOutboxEntry,
  MfaChallenge,
  OAuthCode,
  OAuthRequest,
  OneTimeToken,
  PasskeyChallenge,
  RefreshToken,
  Session,
  SigningKey,
  User,
  WebhookDelivery,
  WebhookEndpoint,
} from '../../src/storage/entities/index.js';
import type { OneTimeTokenPurpose } from '../../src/storage/entities/index.js';
import { ExpiredRowSweeper, SWEPT_TABLES } from '../../src/storage/expired-row-sweeper.js';
import { BACKENDS, createTestDatabase, cutOffDatabase, restoreDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { bearer, gql, ME, REFRESH, signUpUser } from '../helpers/graphql.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';
import { CapturedLog } from '../helpers/captured-log.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(Date.now() - ms);
const fromNow = (ms: number) => new Date(Date.now() + ms);
const hash = () => randomBytes(32).toString('hex');

/** Polls a condition (no timing assertion: the test timeout is the only bound). */
async function eventually(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Realistic rows with backdated times, written the way the flows write them. */
function rows(em: EntityManager, userId: string) {
  const user = em.getReference(User, userId);
  return {
    session(times: { expiresAt: Date; revokedAt?: Date | null; createdAt?: Date }): Session {
      const createdAt = times.createdAt ?? new Date(times.expiresAt.getTime() - 30 * DAY);
      return em.create(Session, {
        user,
        amr: 'pwd',
        createdAt,
        lastUsedAt: createdAt,
        expiresAt: times.expiresAt,
        revokedAt: times.revokedAt ?? null,
        revokedReason: times.revokedAt ? 'sign-out' : null,
        ip: '203.0.113.7',
        userAgent: 'sweeper-test',
      });
    },
    refreshToken(session: Session, expiresAt: Date, rotatedAt: Date | null = null): RefreshToken {
      return em.create(RefreshToken, {
        tokenHash: hash(),
        session,
        createdAt: new Date(expiresAt.getTime() - 30 * DAY),
        expiresAt,
        rotatedAt,
      });
    },
    oneTimeToken(purpose: OneTimeTokenPurpose, expiresAt: Date, usedAt: Date | null = null): OneTimeToken {
      return em.create(OneTimeToken, {
        tokenHash: hash(),
        user,
        purpose,
        createdAt: new Date(expiresAt.getTime() - HOUR),
        expiresAt,
        usedAt,
      });
    },
    mfaChallenge(expiresAt: Date): MfaChallenge {
      return em.create(MfaChallenge, {
        tokenHash: hash(),
        user,
        amr: 'pwd',
        createdAt: new Date(expiresAt.getTime() - 5 * 60_000),
        expiresAt,
      });
    },
    mail(times: { createdAt: Date; failedAt: Date | null }): MailOutboxEntry {
      return em.create(MailOutboxEntry, {
        kind: 'password-reset',
        payload: 'sealed-payload',
        attempts: times.failedAt ? 1 : 40,
        nextAttemptAt: times.failedAt ?? fromNow(HOUR),
        lastError: times.failedAt ? 'smtp 550' : 'smtp timeout',
        failedAt: times.failedAt,
        createdAt: times.createdAt,
      });
    },
  };
}

const idsOf = <T>(list: T[], key: (row: T) => string) => list.map(key).sort();

describe.each(BACKENDS)('expired-row sweeper (%s)', (backend) => {
  const ctx = useServer(backend);

  const fork = () => ctx.server.app.services.orm.em.fork();

  it('deletes exactly the rows past their retention and keeps live, recent, audit, user and key rows', async () => {
    const live = await signUpUser(ctx.server.url);
    // A real rotation: the live session now has a rotated (still unexpired) token and a new one.
    const rotated = await gql(ctx.server.url, REFRESH, { refreshToken: live.refreshToken });
    expect(rotated.body.data?.refreshSession.__typename).toBe('SignInSuccess');
    const liveRefreshToken = rotated.body.data?.refreshSession.tokens.refreshToken as string;

    const em = fork();
    const make = rows(em, live.userId);
    // Sessions: ended more than 30 days ago go (with every token); ended less long ago stay.
    const expiredLongAgo = make.session({ expiresAt: ago(31 * DAY) });
    const expiredLongAgoTokens = [
      make.refreshToken(expiredLongAgo, ago(40 * DAY), ago(40 * DAY)),
      make.refreshToken(expiredLongAgo, ago(31 * DAY)),
    ];
    // Revoked long ago but not yet expired (a long REFRESH_TOKEN_TTL): its unexpired token goes with it.
    const revokedLongAgo = make.session({ expiresAt: fromNow(5 * DAY), revokedAt: ago(31 * DAY) });
    const revokedLongAgoToken = make.refreshToken(revokedLongAgo, fromNow(5 * DAY));
    const expiredRecently = make.session({ expiresAt: ago(29 * DAY) });
    const expiredRecentlyToken = make.refreshToken(expiredRecently, ago(29 * DAY));
    const revokedRecently = make.session({ expiresAt: fromNow(20 * DAY), revokedAt: ago(2 * DAY) });
    const revokedRecentlyToken = make.refreshToken(revokedRecently, fromNow(20 * DAY));
    // A live session's old rotated token, expired over a day ago: refused anyway, so it goes.
    const liveSession = em.getReference(Session, live.sessionId);
    const oldRotatedToken = make.refreshToken(liveSession, ago(2 * DAY), ago(3 * DAY));
    const justExpiredToken = make.refreshToken(liveSession, ago(HOUR), ago(2 * HOUR));
    // Emailed tokens and MFA challenges: a day after their expiry, used or not.
    const oneTimeGone = [
      make.oneTimeToken('email-verification', ago(2 * DAY)),
      make.oneTimeToken('password-reset', ago(2 * DAY), ago(2 * DAY + HOUR / 2)),
      make.oneTimeToken('magic-link', ago(25 * HOUR)),
    ];
    const oneTimeKept = [
      make.oneTimeToken('magic-link', ago(23 * HOUR)),
      make.oneTimeToken('password-reset', fromNow(HOUR / 2)),
    ];
    const mfaGone = make.mfaChallenge(ago(2 * DAY));
    const mfaKept = [make.mfaChallenge(ago(HOUR)), make.mfaChallenge(fromNow(5 * 60_000))];
    // Mail: refused for good over 7 days ago goes; refused recently, or still waiting however old, stays.
    const mailGone = make.mail({ createdAt: ago(9 * DAY), failedAt: ago(8 * DAY) });
    const mailKept = [
      make.mail({ createdAt: ago(6 * DAY), failedAt: ago(6 * DAY) }),
      make.mail({ createdAt: ago(60 * DAY), failedAt: null }),
    ];
    // WebAuthn challenges (five minutes): a day after their expiry, used or not.
    const challenge = (expiresAt: Date, usedAt: Date | null = null) =>
      em.create(PasskeyChallenge, {
        challengeHash: hash(),
        purpose: 'sign-in',
        createdAt: new Date(expiresAt.getTime() - 5 * 60_000),
        expiresAt,
        usedAt,
      });
    const passkeyChallengeGone = challenge(ago(2 * DAY), ago(2 * DAY));
    const passkeyChallengeKept = [challenge(ago(HOUR)), challenge(fromNow(4 * 60_000))];
    await em.flush();
    // Social sign-in (issue 20): states (10 minutes) and Plinto codes (60 s), a day after their expiry.
    const oauthRow = (key: string, expiresAt: Date) => ({
      provider: 'p',
      createdAt: ago(3 * DAY),
      expiresAt,
      _key: key,
    });
    const oauthRequests = [
      oauthRow('gone', ago(2 * DAY)),
      oauthRow('kept', ago(HOUR)),
      oauthRow('live', fromNow(600_000)),
    ];
    for (const [index, { _key, ...row }] of oauthRequests.entries()) {
      await em.insert(OAuthRequest, {
        ...row,
        stateHash: `${_key}-state-${index}`.padEnd(64, '0'),
        intent: 'sign-in',
        redirectTo: 'https://app.example/',
      });
      await em.insert(OAuthCode, { ...row, codeHash: `${_key}-code-${index}`.padEnd(64, '0'), subject: 's' });
    }
    // Webhook deliveries: ended (delivered or failed) over 14 days ago go; recent or pending ones stay.
    const endpointId = crypto.randomUUID();
    const webhooks = fork();
    await webhooks.insert(
      WebhookEndpoint,
      Object.assign(new WebhookEndpoint(), {
        id: endpointId,
        url: 'https://hooks.example/x',
        events: 'user.created',
        secret: 'sealed',
      }),
    );
    const delivery = (fields: Partial<WebhookDelivery>) =>
      Object.assign(new WebhookDelivery(), {
        endpointId,
        eventId: crypto.randomUUID(),
        eventType: 'user.created',
        payload: 'sealed',
        ...fields,
      });
    const webhookGone = [
      delivery({ status: 'delivered', createdAt: ago(20 * DAY), deliveredAt: ago(20 * DAY) }),
      delivery({ status: 'failed', createdAt: ago(20 * DAY), failedAt: ago(17 * DAY) }),
    ];
    const webhookKept = [
      delivery({ status: 'delivered', createdAt: ago(DAY), deliveredAt: ago(DAY) }),
      delivery({ status: 'pending', createdAt: ago(2 * DAY), nextAttemptAt: fromNow(HOUR) }),
    ];
    await webhooks.insertMany(WebhookDelivery, [...webhookGone, ...webhookKept]);

    const check = fork();
    const auditBefore = await check.find(AuditEvent, {}, { orderBy: { id: 'asc' } });
    const usersBefore = await check.count(User, {});
    const keysBefore = await check.count(SigningKey, {});
    const refreshBefore = await check.count(RefreshToken, {});
    expect(auditBefore.length).toBeGreaterThan(0);

    // The app's counters also count what other tests of this block swept (in any order): deltas.
    const counters = async () => {
      const { values } = await ctx.server.app.services.metrics.expiredRowsDeleted.get();
      return Object.fromEntries(values.map((v) => [v.labels.table as string, v.value]));
    };
    const exposedSessions = async () => {
      const exposed = await (await fetch(`${ctx.server.url}/metrics`)).text();
      const line = /^plinto_expired_rows_deleted_total\{table="sessions"\} (\d+)$/m.exec(exposed);
      return Number(line?.[1] ?? 0);
    };
    const countedBefore = await counters();
    const exposedBefore = await exposedSessions();

    const report = await ctx.server.app.services.expiredRowSweeper.sweepOnce();

    const goneTokens = [...expiredLongAgoTokens, revokedLongAgoToken, expiredRecentlyToken, oldRotatedToken];
    expect(report).toEqual({
      // Only never-verified accounts under SIGNUP_MODE=verify-first (this server signs up immediately).
      users: { rows: 0, batches: 0 },
      one_time_tokens: { rows: 3, batches: 1 },
      mfa_challenges: { rows: 1, batches: 1 },
      // Expired over a day ago (4), then the rest of the ended sessions' tokens (1).
      refresh_tokens: { rows: goneTokens.length, batches: 2 },
      sessions: { rows: 2, batches: 1 },
      mail_outbox: { rows: 1, batches: 1 },
      passkey_challenges: { rows: 1, batches: 1 },
      oauth_requests: { rows: 1, batches: 1 },
      oauth_codes: { rows: 1, batches: 1 },
      // No API keys in this test (the admin tests make them): nothing to sweep.
      api_keys: { rows: 0, batches: 0 },
      webhook_deliveries: { rows: 2, batches: 1 },
    });
    expect((await fork().find(OAuthRequest, {})).map((r) => r.stateHash.split('-')[0]).sort()).toEqual([
      'kept',
      'live',
    ]);
    expect((await fork().find(OAuthCode, {})).map((r) => r.codeHash.split('-')[0]).sort()).toEqual([
      'kept',
      'live',
    ]);
    expect(idsOf(await fork().find(WebhookDelivery, {}), (d) => d.id)).toEqual(
      idsOf(webhookKept, (d) => d.id),
    );

    const after = fork();
    expect(idsOf(await after.find(Session, { user: live.userId }, { fields: ['id'] }), (s) => s.id)).toEqual(
      [live.sessionId, expiredRecently.id, revokedRecently.id].sort(),
    );
    const tokensLeft = await after.find(RefreshToken, {}, { fields: ['tokenHash'] });
    expect(tokensLeft).toHaveLength(refreshBefore - goneTokens.length);
    const left = new Set(tokensLeft.map((t) => t.tokenHash));
    for (const token of goneTokens) expect(left.has(token.tokenHash)).toBe(false);
    expect(left.has(revokedRecentlyToken.tokenHash)).toBe(true);
    expect(left.has(justExpiredToken.tokenHash)).toBe(true);
    expect(idsOf(await after.find(OneTimeToken, { user: live.userId }), (t) => t.tokenHash)).toEqual(
      idsOf(oneTimeKept, (t) => t.tokenHash),
    );
    expect(idsOf(await after.find(MfaChallenge, { user: live.userId }), (c) => c.tokenHash)).toEqual(
      idsOf(mfaKept, (c) => c.tokenHash),
    );
    const mail = idsOf(await after.find(MailOutboxEntry, {}), (m) => m.id);
    expect(mail).toEqual(idsOf(mailKept, (m) => m.id));
    expect(mail).not.toContain(mailGone.id);
    expect(await after.count(OneTimeToken, { tokenHash: { $in: oneTimeGone.map((t) => t.tokenHash) } })).toBe(
      0,
    );
    expect(await after.count(MfaChallenge, { tokenHash: mfaGone.tokenHash })).toBe(0);
    expect(await after.count(PasskeyChallenge, { challengeHash: passkeyChallengeGone.challengeHash })).toBe(
      0,
    );
    expect(
      await after.count(PasskeyChallenge, {
        challengeHash: { $in: passkeyChallengeKept.map((c) => c.challengeHash) },
      }),
    ).toBe(2);

    // Never swept: the append-only audit trail (row for row), users and signing keys.
    expect(await after.find(AuditEvent, {}, { orderBy: { id: 'asc' } })).toEqual(auditBefore);
    expect(await after.count(User, {})).toBe(usersBefore);
    expect(await after.count(SigningKey, {})).toBe(keysBefore);

    // The live session still works end to end: its access token, then a refresh.
    const me = await gql(ctx.server.url, ME, {}, bearer(live.accessToken));
    expect(me.body.data?.me.id).toBe(live.userId);
    const again = await gql(ctx.server.url, REFRESH, { refreshToken: liveRefreshToken });
    expect(again.body.data?.refreshSession.__typename).toBe('SignInSuccess');

    const countedAfter = await counters();
    const counted = Object.fromEntries(
      Object.entries(countedAfter).map(([table, value]) => [table, value - (countedBefore[table] ?? 0)]),
    );
    expect(counted).toEqual({
      users: 0,
      one_time_tokens: 3,
      mfa_challenges: 1,
      refresh_tokens: goneTokens.length,
      sessions: 2,
      mail_outbox: 1,
      passkey_challenges: 1,
      oauth_requests: 1,
      oauth_codes: 1,
      api_keys: 0,
      webhook_deliveries: 2,
    });
    expect((await exposedSessions()) - exposedBefore).toBe(2);

    // A second pass finds nothing more.
    const second = await ctx.server.app.services.expiredRowSweeper.sweepOnce();
    expect(Object.values(second).map((t) => t.rows)).toEqual(SWEPT_TABLES.map(() => 0));
  });

  it('deletes a backlog larger than one batch, at most 1000 rows per statement', async () => {
    const user = await signUpUser(ctx.server.url);
    const em = fork();
    const make = rows(em, user.userId);
    for (let i = 0; i < 2100; i++) make.oneTimeToken('magic-link', ago(3 * DAY));
    const keep = make.oneTimeToken('magic-link', fromNow(HOUR));
    await em.flush();

    const report = await ctx.server.app.services.expiredRowSweeper.sweepOnce();
    expect(report.one_time_tokens).toEqual({ rows: 2100, batches: 3 });
    expect(idsOf(await fork().find(OneTimeToken, { user: user.userId }), (t) => t.tokenHash)).toEqual([
      keep.tokenHash,
    ]);
  });

  it('stops after a short batch and deletes ended sessions with many tokens in bounded statements', async () => {
    const user = await signUpUser(ctx.server.url);
    const em = fork();
    const make = rows(em, user.userId);
    const ended = Array.from({ length: 7 }, () =>
      make.session({ expiresAt: fromNow(DAY), revokedAt: ago(40 * DAY) }),
    );
    for (const session of ended) {
      for (let i = 0; i < 3; i++) make.refreshToken(session, fromNow(DAY));
    }
    await em.flush();

    const logger = createLogger('silent');
    const sweeper = new ExpiredRowSweeper(() => fork(), new Metrics(), logger, {
      intervalSeconds: 0,
      sessionRetentionDays: 30,
      tokenRetentionDays: 1,
      failedMailRetentionDays: 7,
      batchSize: 5,
    });
    const report = await sweeper.sweepOnce();
    // 21 tokens in 5 batches of at most 5 (5+5+5+5+1), then 7 sessions in 2 (5+2).
    expect(report.refresh_tokens).toEqual({ rows: 21, batches: 5 });
    expect(report.sessions).toEqual({ rows: 7, batches: 2 });
    expect(await fork().count(Session, { id: { $in: ended.map((s) => s.id) } })).toBe(0);
    expect(await fork().count(Session, { id: user.sessionId })).toBe(1);
  });

  it('lets several replicas sweep at once: every expired row is deleted exactly once, without errors', async () => {
    const user = await signUpUser(ctx.server.url);
    const em = fork();
    const make = rows(em, user.userId);
    for (let i = 0; i < 60; i++) make.mfaChallenge(ago(3 * DAY));
    const ended = Array.from({ length: 12 }, () => make.session({ expiresAt: ago(45 * DAY) }));
    for (const session of ended) make.refreshToken(session, fromNow(DAY));
    await em.flush();

    const replicas = Array.from(
      { length: 3 },
      () =>
        new ExpiredRowSweeper(() => fork(), new Metrics(), createLogger('silent'), {
          intervalSeconds: 0,
          sessionRetentionDays: 30,
          tokenRetentionDays: 1,
          failedMailRetentionDays: 7,
          batchSize: 4,
        }),
    );
    const reports = await Promise.all(replicas.map((replica) => replica.sweepOnce()));
    const total = (table: 'mfa_challenges' | 'sessions' | 'refresh_tokens') =>
      reports.reduce((sum, report) => sum + report[table].rows, 0);
    // Each row is counted by the one replica whose conditional DELETE removed it.
    expect(total('mfa_challenges')).toBe(60);
    expect(total('sessions')).toBe(12);
    expect(total('refresh_tokens')).toBe(12);
    expect(await fork().count(MfaChallenge, { user: user.userId })).toBe(0);
    expect(await fork().count(Session, { user: user.userId })).toBe(1);
  });
});

describe('the sweeper on its timer', () => {
  let database: TestDatabase;
  let server: TestServer;
  const log = new CapturedLog();

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    server = await startServer(
      database,
      { CLEANUP_INTERVAL_SECONDS: '1', LOG_LEVEL: 'info' },
      { logger: createLogger('info', log) },
    );
  });
  afterAll(async () => {
    await restoreDatabase(database).catch(() => undefined);
    await server?.close();
    await database?.drop();
  });

  const fork = () => server.app.services.orm.em.fork();
  async function expiredToken(userId: string): Promise<string> {
    const em = fork();
    const token = rows(em, userId).oneTimeToken('password-reset', ago(2 * DAY));
    await em.flush();
    return token.tokenHash;
  }
  const exists = async (tokenHash: string) => (await fork().count(OneTimeToken, { tokenHash })) > 0;

  it('sweeps on its interval, logs a failed run without driver text, and retries at the next interval', async () => {
    const user = await signUpUser(server.url);
    const first = await expiredToken(user.userId);
    // The run logs what it deleted once it has been through every table.
    await eventually(async () =>
      log.lines.some((l) => l.msg === 'expired rows deleted' && l.deleted?.one_time_tokens >= 1),
    );
    expect(await exists(first)).toBe(false);

    await cutOffDatabase(database);
    await eventually(async () => log.lines.some((l) => l.msg.startsWith('expired-row sweep failed')));
    const failure = log.lines.find((l) => l.msg.startsWith('expired-row sweep failed'))!;
    expect(failure).toMatchObject({ level: 40, error: expect.stringMatching(/Exception$/) });
    expect(JSON.stringify(failure)).not.toMatch(/select |delete |token_hash|plinto_test|password/i);
    // The process is still up and answering.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);

    await restoreDatabase(database);
    const second = await expiredToken(user.userId);
    await eventually(async () => !(await exists(second)));
    expect(await fork().count(User, { id: user.userId })).toBe(1);
  });

  it('runs no more once stopped', async () => {
    // A server of its own: stopping the shared one's sweeper would starve the interval test if
    // that one ran later (tests run in a random order).
    const own = await createTestDatabase('postgresql');
    const stopped = await startServer(own, { CLEANUP_INTERVAL_SECONDS: '1' });
    try {
      const user = await signUpUser(stopped.url);
      await stopped.app.services.expiredRowSweeper.stop();
      const em = stopped.app.services.orm.em.fork();
      const token = rows(em, user.userId).oneTimeToken('password-reset', ago(2 * DAY));
      await em.flush();
      // Over two intervals: a sweeper still on its timer would have deleted the row by then.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(
        await stopped.app.services.orm.em.fork().count(OneTimeToken, { tokenHash: token.tokenHash }),
      ).toBe(1);
    } finally {
      await stopped.close();
      await own.drop();
    }
  });
});
