import type { EntityManager } from '@mikro-orm/core';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryLivenessCache } from '../../src/auth/liveness-cache.js';
import { SessionService } from '../../src/auth/session.service.js';
import type { SessionSettings } from '../../src/auth/session.service.js';
import type { UserProfile } from '../../src/auth/user.service.js';
import { sha256Hex } from '../../src/security/crypto.js';
import { AuditEvent, RefreshToken, Session } from '../../src/storage/entities/index.js';
import { inTransaction } from '../../src/storage/transaction.js';
import type { WebhookEmitter } from '../../src/webhooks/webhook-outbox.js';
import type { WebhookEvent } from '../../src/webhooks/webhook-events.js';
import { insertUser, openSecurityStack } from '../helpers/security-stack.js';
import type { SecurityStack } from '../helpers/security-stack.js';

/**
 * Sessions (src/auth/session.service.ts) on a real database, the in-process liveness cache and a fake
 * clock: creation, step-up, revocation and the liveness check of every request (RV-1, RV-2, TK-4),
 * fast enough for Stryker to run against every mutant of the module.
 */
const SETTINGS: SessionSettings = {
  refreshTokenTtlSeconds: 3600,
  refreshGraceSeconds: 10,
  accessTokenTtlSeconds: 900,
  livenessCacheSeconds: 30,
  sessionMaxLifetimeSeconds: 86_400,
  mfaSessionMaxLifetimeSeconds: 43_200,
  mfaSessionIdleTimeoutSeconds: 1800,
};
const T0 = new Date('2026-12-01T10:00:00.000Z');
const at = (seconds: number) => vi.setSystemTime(new Date(T0.getTime() + seconds * 1000));
const PHONE = { ip: '203.0.113.7', userAgent: 'PlintoPhone/1.0' };

/** The webhook events a flow emitted, each with whether it was inside the flow's transaction. */
class RecordedWebhooks implements WebhookEmitter {
  readonly events: Array<WebhookEvent & { inTransaction: boolean }> = [];
  async emit(em: EntityManager, event: WebhookEvent): Promise<number> {
    this.events.push({ ...event, inTransaction: em.isInTransaction() });
    return 0;
  }
}

let stack: SecurityStack;
let n = 0;
beforeAll(async () => {
  stack = await openSecurityStack('sqlite');
});
afterAll(async () => {
  await stack?.close();
});
afterEach(() => {
  vi.useRealTimers();
});

function setUp(settings: Partial<SessionSettings> = {}) {
  vi.useFakeTimers({ toFake: ['Date'] });
  at(0);
  const liveness = new MemoryLivenessCache();
  const webhooks = new RecordedWebhooks();
  const sessions = new SessionService(
    stack.accessTokens,
    liveness,
    stack.box,
    stack.events,
    { ...SETTINGS, ...settings },
    webhooks,
  );
  return { sessions, liveness, webhooks, em: () => stack.orm.em.fork() };
}
const newUser = (roles: string[] = []): Promise<UserProfile> =>
  insertUser(stack.orm, `sessions-${++n}@example.com`, roles);
const row = (id: string) => stack.orm.em.fork().findOneOrFail(Session, id);
const audit = async (userId: string) =>
  (await stack.orm.em.fork().find(AuditEvent, { userId }, { orderBy: { createdAt: 'asc' } })).map(
    (e) => `${e.kind}:${e.result}:${e.sessionId ? 'session' : '-'}:${e.ip ?? '-'}`,
  );

describe('sessions', () => {
  it('creates a session, its hashed refresh token, an access token of now, the live cache entry and the webhook event', async () => {
    const { sessions, liveness, webhooks, em } = setUp();
    const user = await newUser(['editor']);
    const longIp = `2001:db8::${'1'.repeat(80)}`;
    const signedIn = await sessions.create(em(), user, ['pwd', 'mfa'], {
      ip: longIp,
      userAgent: 'u'.repeat(600),
    });
    expect(signedIn.user).toEqual(user);
    expect(signedIn.session).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      createdAt: T0,
      lastUsedAt: T0,
      // A second-factor session: cut to its idle timeout.
      expiresAt: new Date(T0.getTime() + 1800_000),
      ip: longIp.slice(0, 64),
      userAgent: 'u'.repeat(512),
    });
    expect(signedIn.tokens.refreshTokenExpiresAt).toEqual(signedIn.session.expiresAt);
    const stored = await row(signedIn.session.id);
    expect(stored).toMatchObject({
      amr: 'pwd,mfa',
      authenticatedAt: T0,
      createdAt: T0,
      expiresAt: signedIn.session.expiresAt,
      ip: longIp.slice(0, 64),
      userAgent: 'u'.repeat(512),
      revokedAt: null,
    });
    expect(stored.user.id).toBe(user.id);
    const token = await stack.orm.em
      .fork()
      .findOneOrFail(RefreshToken, { tokenHash: sha256Hex(signedIn.tokens.refreshToken) });
    expect(token.session.id).toBe(signedIn.session.id);
    expect(token.expiresAt).toEqual(signedIn.session.expiresAt);
    expect(token.createdAt).toEqual(T0);
    expect(await stack.accessTokens.verify(signedIn.tokens.accessToken)).toMatchObject({
      userId: user.id,
      sessionId: signedIn.session.id,
      amr: ['pwd', 'mfa'],
      authTime: T0,
      roles: ['editor'],
    });
    expect(signedIn.tokens.accessTokenExpiresAt).toEqual(new Date(T0.getTime() + 900_000));
    expect(webhooks.events).toEqual([
      {
        type: 'session.created',
        inTransaction: true,
        data: {
          userId: user.id,
          sessionId: signedIn.session.id,
          amr: ['pwd', 'mfa'],
          createdAt: T0.toISOString(),
          expiresAt: signedIn.session.expiresAt.toISOString(),
          ip: longIp.slice(0, 64),
          userAgent: 'u'.repeat(512),
        },
      },
    ]);
    // Cached live for the liveness window, then the database answers again.
    at(29.999);
    expect(await liveness.get(signedIn.session.id)).toBe('live');
    at(30);
    expect(await liveness.get(signedIn.session.id)).toBeNull();
  });

  it('keeps no address or agent it was not given, and caches a short-lived session only until its end', async () => {
    const { sessions, liveness, em } = setUp({ refreshTokenTtlSeconds: 10 });
    const user = await newUser();
    const signedIn = await sessions.create(em(), user, ['pwd'], { ip: null, userAgent: null });
    expect(signedIn.session.ip).toBeNull();
    expect(signedIn.session.userAgent).toBeNull();
    expect(signedIn.session.expiresAt).toEqual(new Date(T0.getTime() + 10_000));
    at(9.999);
    expect(await liveness.get(signedIn.session.id)).toBe('live');
    at(10);
    expect(await liveness.get(signedIn.session.id)).toBeNull();
  });

  it('creates the session inside the caller’s transaction, rolled back with it', async () => {
    const { sessions, webhooks } = setUp();
    const user = await newUser();
    let id = '';
    await expect(
      inTransaction(stack.orm.em.fork(), async (tx) => {
        id = (await sessions.create(tx, user, ['pwd'], PHONE)).session.id;
        throw new Error('the flow failed after the session');
      }),
    ).rejects.toThrow('the flow failed');
    expect(await stack.orm.em.fork().count(Session, { id })).toBe(0);
    expect(webhooks.events[0]?.inTransaction).toBe(true);
  });

  it('step-up: records the authentication time and issues a token with auth_time now, only for a live own session', async () => {
    const { sessions, em } = setUp();
    const user = await newUser(['support']);
    const other = await newUser();
    const signedIn = await sessions.create(em(), user, ['pwd'], PHONE);
    const otherDevice = await sessions.create(em(), user, [], PHONE);
    at(120);
    const now = new Date(T0.getTime() + 120_000);
    // Only the session that proved the factor again; an empty method list stays empty.
    const bare = await sessions.reauthenticated(em(), user.id, otherDevice.session.id);
    expect((await stack.accessTokens.verify(bare!.accessToken))?.amr).toEqual([]);
    await stack.orm.em.fork().nativeUpdate(Session, { id: otherDevice.session.id }, { authenticatedAt: T0 });
    const token = await sessions.reauthenticated(em(), user.id, signedIn.session.id);
    expect(token).toEqual({
      accessToken: expect.any(String),
      accessTokenExpiresAt: new Date(now.getTime() + 900_000),
      authTime: now,
    });
    expect(await stack.accessTokens.verify(token!.accessToken)).toMatchObject({
      userId: user.id,
      sessionId: signedIn.session.id,
      amr: ['pwd'],
      authTime: now,
      roles: ['support'],
    });
    expect((await row(signedIn.session.id)).authenticatedAt).toEqual(now);
    expect((await row(otherDevice.session.id)).authenticatedAt).toEqual(T0);
    expect(await sessions.reauthenticated(em(), other.id, signedIn.session.id)).toBeNull();
    // Expired: refused at its expiry.
    at(3600);
    expect(await sessions.reauthenticated(em(), user.id, signedIn.session.id)).toBeNull();
    at(3599.999);
    expect(await sessions.reauthenticated(em(), user.id, signedIn.session.id)).not.toBeNull();
    await sessions.revoke(em(), user.id, signedIn.session.id, 'sign-out');
    expect(await sessions.reauthenticated(em(), user.id, signedIn.session.id)).toBeNull();
    expect((await row(signedIn.session.id)).authenticatedAt).toEqual(new Date(T0.getTime() + 3599_999));
  });

  it('revokes only the user’s own live session, at once for every cached check, with its event and webhook', async () => {
    const { sessions, webhooks, em } = setUp();
    const user = await newUser();
    const other = await newUser();
    const signedIn = await sessions.create(em(), user, ['pwd'], PHONE);
    await stack.orm.em
      .fork()
      .nativeUpdate(
        Session,
        { id: signedIn.session.id },
        { graceForTokenHash: 'h', graceUntil: T0, gracePairEncrypted: 'p' },
      );
    expect(await sessions.isLive(em(), signedIn.session.id, user.id)).toBe(true);
    expect(await sessions.revoke(em(), other.id, signedIn.session.id, 'revoked')).toBe(false);
    expect(await sessions.isLive(em(), signedIn.session.id, user.id)).toBe(true);
    expect(await audit(other.id)).toEqual([]);
    at(5);
    expect(await sessions.revoke(em(), user.id, signedIn.session.id, 'sign-out', PHONE)).toBe(true);
    expect(await sessions.isLive(em(), signedIn.session.id, user.id)).toBe(false);
    expect(await row(signedIn.session.id)).toMatchObject({
      revokedAt: new Date(T0.getTime() + 5000),
      revokedReason: 'sign-out',
      graceForTokenHash: null,
      graceUntil: null,
      gracePairEncrypted: null,
    });
    expect(await audit(user.id)).toEqual([`sign_out:success:session:${PHONE.ip}`]);
    expect(webhooks.events.at(-1)).toEqual({
      type: 'session.revoked',
      inTransaction: true,
      data: {
        userId: user.id,
        sessionIds: [signedIn.session.id],
        reason: 'sign-out',
        revokedAt: new Date(T0.getTime() + 5000).toISOString(),
      },
    });
    // Twice: nothing left to revoke, nothing recorded.
    expect(await sessions.revoke(em(), user.id, signedIn.session.id, 'sign-out')).toBe(false);
    expect(await audit(user.id)).toHaveLength(1);
    // The revoked entry outlives every access token of the session (their lifetime plus a minute).
    await stack.orm.em.fork().nativeUpdate(Session, { id: signedIn.session.id }, { revokedAt: null });
    at(5 + 959);
    expect(await sessions.isLive(em(), signedIn.session.id, user.id)).toBe(false);
    at(5 + 960);
    expect(await sessions.isLive(em(), signedIn.session.id, user.id)).toBe(true);
  });

  it('records session_revoked for an explicit revocation and nothing for the password flows', async () => {
    const { sessions, em } = setUp();
    const user = await newUser();
    const a = await sessions.create(em(), user, ['pwd'], PHONE);
    const b = await sessions.create(em(), user, ['pwd'], PHONE);
    expect(await sessions.revoke(em(), user.id, a.session.id, 'revoked', null)).toBe(true);
    expect(await sessions.revoke(em(), user.id, b.session.id, 'password-changed')).toBe(true);
    expect(await audit(user.id)).toEqual(['session_revoked:success:session:-']);
    expect((await row(b.session.id)).revokedReason).toBe('password-changed');
  });

  it('revokes all of a user’s sessions, or all but the current one, and only theirs', async () => {
    const { sessions, liveness, webhooks, em } = setUp();
    const user = await newUser();
    const other = await newUser();
    const [a, b, c] = [
      await sessions.create(em(), user, ['pwd'], PHONE),
      await sessions.create(em(), user, ['pwd'], PHONE),
      await sessions.create(em(), user, ['pwd'], PHONE),
    ];
    const theirs = await sessions.create(em(), other, ['pwd'], PHONE);
    expect(
      await sessions.revokeAll(em(), user.id, 'sign-out-everywhere', {
        exceptSessionId: a.session.id,
        client: PHONE,
      }),
    ).toBe(2);
    expect((await row(a.session.id)).revokedAt).toBeNull();
    expect((await row(b.session.id)).revokedReason).toBe('sign-out-everywhere');
    expect((await row(c.session.id)).revokedReason).toBe('sign-out-everywhere');
    expect((await row(theirs.session.id)).revokedAt).toBeNull();
    expect(await liveness.get(b.session.id)).toBe('revoked');
    expect(await liveness.get(a.session.id)).toBe('live');
    expect(await audit(user.id)).toEqual([`sign_out:success:-:${PHONE.ip}`]);
    expect(webhooks.events.at(-1)?.data).toMatchObject({
      userId: user.id,
      sessionIds: expect.arrayContaining([b.session.id, c.session.id]),
    });
    expect(await sessions.revokeAll(em(), user.id, 'password-reset')).toBe(1);
    expect((await row(a.session.id)).revokedReason).toBe('password-reset');
    expect(await sessions.revokeAll(em(), user.id, 'sign-out-everywhere')).toBe(0);
    expect(await audit(user.id)).toHaveLength(1);
    expect((await row(theirs.session.id)).revokedAt).toBeNull();
  });

  it('answers a cache miss from the database and caches the answer; a session of another user is not live', async () => {
    const { sessions, liveness, em } = setUp();
    const user = await newUser();
    const other = await newUser();
    const signedIn = await sessions.create(em(), user, ['pwd'], PHONE);
    const fresh = setUp();
    // Another replica (an empty cache): the database says live; cached for the window.
    const check = await fresh.sessions.check(() => em(), signedIn.session.id, user.id);
    expect(check.live).toBe(true);
    expect(check.profile).toMatchObject({ kind: 'miss' });
    expect(await fresh.liveness.get(signedIn.session.id)).toBe('live');
    at(29.999);
    expect(await fresh.liveness.get(signedIn.session.id)).toBe('live');
    at(30);
    expect(await fresh.liveness.get(signedIn.session.id)).toBeNull();
    expect(await setUp().sessions.isLive(em(), signedIn.session.id, other.id)).toBe(false);
    // Revoked in the database without this cache knowing: the miss reads it, and caches 'revoked'.
    await stack.orm.em.fork().nativeUpdate(Session, { id: signedIn.session.id }, { revokedAt: T0 });
    const third = setUp();
    expect(await third.sessions.isLive(em(), signedIn.session.id, user.id)).toBe(false);
    expect(await third.liveness.get(signedIn.session.id)).toBe('revoked');
    at(959);
    expect(await third.liveness.get(signedIn.session.id)).toBe('revoked');
    // A cached 'live' answers without the database (this replica cached it at the sign-in).
    at(10);
    expect(await sessions.isLive(em(), signedIn.session.id, user.id)).toBe(true);
    expect(await liveness.get(signedIn.session.id)).toBe('live');
  });

  it('an expired session is not live at its expiry; a live one is cached no longer than it lasts', async () => {
    const { sessions, em } = setUp({ refreshTokenTtlSeconds: 20 });
    const user = await newUser();
    const signedIn = await sessions.create(em(), user, ['pwd'], PHONE);
    const fresh = setUp({ refreshTokenTtlSeconds: 20 });
    at(15);
    expect(await fresh.sessions.isLive(em(), signedIn.session.id, user.id)).toBe(true);
    at(19.999);
    expect(await fresh.liveness.get(signedIn.session.id)).toBe('live');
    at(20);
    expect(await fresh.liveness.get(signedIn.session.id)).toBeNull();
    const late = setUp();
    at(20);
    expect(await late.sessions.isLive(em(), signedIn.session.id, user.id)).toBe(false);
    expect(await late.liveness.get(signedIn.session.id)).toBe('revoked');
  });

  it('rotates refresh tokens, and revokes the session for refresh-reuse when a rotated token comes back', async () => {
    const { sessions, liveness, em } = setUp();
    const user = await newUser();
    const signedIn = await sessions.create(em(), user, ['pwd'], PHONE);
    const otherDevice = await sessions.create(em(), user, ['pwd'], PHONE);
    at(1);
    const next = await sessions.refresh(em(), signedIn.tokens.refreshToken, PHONE);
    expect(next.kind).toBe('success');
    at(60);
    expect(await sessions.refresh(em(), signedIn.tokens.refreshToken, PHONE)).toEqual({
      kind: 'invalid-token',
    });
    expect((await row(signedIn.session.id)).revokedReason).toBe('refresh-reuse');
    expect(await liveness.get(signedIn.session.id)).toBe('revoked');
    // Only the session whose token came back.
    expect((await row(otherDevice.session.id)).revokedAt).toBeNull();
  });

  it('lists the user’s live sessions, most recently used first, and counts every live session', async () => {
    const { sessions, em } = setUp();
    const user = await newUser();
    const before = await sessions.countLive(em());
    const a = await sessions.create(em(), user, ['pwd'], PHONE);
    at(1);
    const b = await sessions.create(em(), user, ['pwd'], PHONE);
    at(2);
    const c = await sessions.create(em(), user, ['pwd'], PHONE);
    await stack.orm.em
      .fork()
      .nativeUpdate(Session, { id: b.session.id }, { lastUsedAt: new Date(T0.getTime() + 5000) });
    await sessions.revoke(em(), user.id, c.session.id, 'sign-out');
    // Most recently used first, not the order they were made in.
    expect((await sessions.list(em(), user.id)).map((s) => s.id)).toEqual([b.session.id, a.session.id]);
    expect(await sessions.countLive(em())).toBe(before + 2);
    await stack.orm.em
      .fork()
      .nativeUpdate(Session, { id: a.session.id }, { expiresAt: new Date(T0.getTime() + 2000) });
    expect((await sessions.list(em(), user.id)).map((s) => s.id)).toEqual([b.session.id]);
    expect(await sessions.countLive(em())).toBe(before + 1);
    expect(decodeJwt(a.tokens.accessToken).sid).toBe(a.session.id);
  });
});
