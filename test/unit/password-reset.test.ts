import type { EntityManager } from '@mikro-orm/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CredentialChange } from '../../src/auth/credential-change.js';
import { MemoryLivenessCache } from '../../src/auth/liveness-cache.js';
import { OneTimeTokenService } from '../../src/auth/one-time-token.service.js';
import { PasswordResetService } from '../../src/auth/password-reset.service.js';
import { SessionService } from '../../src/auth/session.service.js';
import type { UserProfile } from '../../src/auth/user.service.js';
import { JOB_PURPOSE, MailOutbox } from '../../src/mail/mail-outbox.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { SecurityEvents } from '../../src/observability/security-events.js';
import type { SecurityEvent } from '../../src/observability/security-events.js';
import { sha256Hex } from '../../src/security/crypto.js';
import { HashQueue } from '../../src/security/hash-queue.js';
import { PasswordService } from '../../src/security/password.service.js';
import { MailOutboxEntry, OneTimeToken, Session, User } from '../../src/storage/entities/index.js';
import type { WebhookEmitter } from '../../src/webhooks/webhook-outbox.js';
import type { WebhookEvent } from '../../src/webhooks/webhook-events.js';
import { insertUser, openSecurityStack } from '../helpers/security-stack.js';
import type { SecurityStack } from '../helpers/security-stack.js';

/**
 * resetPassword and requestPasswordReset (src/auth/password-reset.service.ts) on a real database,
 * real bcrypt at low cost, the real one-time tokens and sessions, and a fake clock: the link's
 * checks before any hash, the policy, the single use, what ends with the reset, the first proof
 * of the mailbox, the notice mail, the webhooks and the events. Fast enough for Stryker.
 */
const T0 = new Date('2026-12-01T10:00:00.000Z');
const at = (seconds: number) => vi.setSystemTime(new Date(T0.getTime() + seconds * 1000));
const RESET_TTL = 200;
const PHONE = { ip: '203.0.113.7', userAgent: 'PlintoPhone/1.0' };
const NEW = 'a brand new passphrase 42';

class RecordedWebhooks implements WebhookEmitter {
  readonly events: Array<WebhookEvent & { inTransaction: boolean }> = [];
  async emit(em: EntityManager, event: WebhookEvent): Promise<number> {
    this.events.push({ ...event, inTransaction: em.isInTransaction() });
    return 0;
  }
}

let stack: SecurityStack;
let n = 0;
afterEach(() => {
  vi.useRealTimers();
});
beforeAll(async () => {
  stack = await openSecurityStack('sqlite');
});
afterAll(async () => {
  await stack?.close();
});
const em = () => stack.orm.em.fork();
const tokens = new OneTimeTokenService({
  emailVerificationTtlSeconds: 100,
  passwordResetTtlSeconds: RESET_TTL,
  magicLinkTtlSeconds: 300,
});

function setUp(options: { withHook?: boolean } = {}) {
  vi.useFakeTimers({ toFake: ['Date'] });
  at(0);
  const metrics = new Metrics();
  const passwords = new PasswordService(
    { scheme: 'bcrypt', bcryptCost: 4, prehashKeys: [Buffer.alloc(32, 7)] },
    new HashQueue(2, 100),
    metrics,
  );
  const hashOperations = async () =>
    (await metrics.passwordHashDuration.get()).values
      .filter((v) => v.metricName === 'plinto_password_hash_duration_seconds_count')
      .reduce((sum, v) => sum + v.value, 0);
  const recorded: SecurityEvent[] = [];
  const events = new SecurityEvents(
    [{ name: 'test', record: async (event) => void recorded.push(event) }],
    createLogger('silent'),
    new Metrics(),
  );
  const webhooks = new RecordedWebhooks();
  const sessions = new SessionService(
    stack.accessTokens,
    new MemoryLivenessCache(),
    stack.box,
    events,
    {
      refreshTokenTtlSeconds: 3600,
      refreshGraceSeconds: 10,
      accessTokenTtlSeconds: 900,
      livenessCacheSeconds: 30,
      sessionMaxLifetimeSeconds: 86_400,
      mfaSessionMaxLifetimeSeconds: 43_200,
      mfaSessionIdleTimeoutSeconds: 1800,
    },
    webhooks,
  );
  const cleared: string[] = [];
  const service = new PasswordResetService(
    passwords,
    sessions,
    tokens,
    new MailOutbox(stack.box),
    events,
    options.withHook === false ? {} : { onPasswordReset: (email) => void cleared.push(email) },
    new CredentialChange(sessions, webhooks),
    webhooks,
  );
  const resets = () =>
    recorded.filter((e) => e.kind === 'password_reset').map((e) => `${e.result}:${e.userId ?? '-'}`);
  return { service, sessions, webhooks, passwords, hashOperations, cleared, resets };
}

/** A user (verified unless told otherwise) with an old password and two sessions. */
async function account(sessions: SessionService, verified = true): Promise<UserProfile> {
  const user = await insertUser(stack.orm, `reset-${++n}@example.com`);
  await em().nativeUpdate(
    User,
    { id: user.id },
    { passwordHash: 'not-a-real-hash', emailVerifiedAt: verified ? new Date(T0.getTime() - 1000) : null },
  );
  await sessions.create(em(), user, ['pwd'], PHONE);
  await sessions.create(em(), user, ['pwd'], PHONE);
  return user;
}
const load = (userId: string) => em().findOneOrFail(User, userId);
const jobs = async () =>
  (await em().find(MailOutboxEntry, {})).map(
    (entry) => JSON.parse(stack.box.open(JOB_PURPOSE, entry.payload)) as Record<string, unknown>,
  );
const live = (userId: string) => em().count(Session, { user: userId, revokedAt: null });

describe('password reset', () => {
  it('records a reset mail job for the normalised address, known or not, and refuses a malformed one', async () => {
    const { service } = setUp();
    const id = ++n;
    expect(await service.request(em(), `  Reset-Request-${id}@Example.COM `)).toBe(true);
    const mine = (await jobs()).filter((job) => String(job.email).includes(`request-${id}@`));
    expect(mine).toEqual([{ kind: 'password-reset', email: `reset-request-${id}@example.com` }]);
    await expect(service.request(em(), 'not an address')).rejects.toThrow('Enter a valid email address.');
  });

  it('sets the new password with a live link, signs out every session, tells the owner, and spends the link', async () => {
    const { service, sessions, webhooks, passwords, cleared, resets } = setUp();
    const user = await account(sessions);
    const link = await tokens.issue(em(), user.id, 'password-reset');
    at(RESET_TTL - 1);
    const now = new Date();
    expect(await service.reset(em(), link, NEW, PHONE)).toEqual({
      kind: 'password-changed',
      signedOutSessions: 2,
    });
    const row = await load(user.id);
    expect((await passwords.verify(NEW, row.passwordHash!)).ok).toBe(true);
    expect(row.updatedAt.getTime()).toBe(now.getTime());
    // Already verified: the verification time stays, and there is no email_verified event.
    expect(row.emailVerifiedAt?.getTime()).toBe(T0.getTime() - 1000);
    expect(await live(user.id)).toBe(0);
    const revoked = await em().find(Session, { user: user.id });
    expect(revoked.map((s) => s.revokedReason)).toEqual(['password-reset', 'password-reset']);
    expect(
      webhooks.events.filter((e) => e.type === 'password.reset' || e.type === 'user.email_verified'),
    ).toEqual([
      { type: 'password.reset', data: { userId: user.id, resetAt: now.toISOString() }, inTransaction: true },
    ]);
    const notices = (await jobs()).filter((job) => job.userId === user.id);
    expect(notices).toEqual([
      expect.objectContaining({
        kind: 'security-notice',
        event: 'password-reset',
        ip: PHONE.ip,
        at: now.toISOString(),
      }),
    ]);
    expect(cleared).toEqual([user.email]);
    expect(resets()).toEqual([`success:${user.id}`]);
    // The link works once.
    expect(await service.reset(em(), link, 'another passphrase 99', PHONE)).toEqual({
      kind: 'invalid-token',
    });
    expect(resets()).toEqual([`success:${user.id}`, 'failure:-']);
    expect((await passwords.verify(NEW, (await load(user.id)).passwordHash!)).ok).toBe(true);
  });

  it('on a never-verified account is the first proof of the mailbox: verified now, email_verified emitted', async () => {
    const { service, sessions, webhooks, passwords } = setUp();
    const user = await account(sessions, false);
    const link = await tokens.issue(em(), user.id, 'password-reset');
    expect((await service.reset(em(), link, NEW, PHONE)).kind).toBe('password-changed');
    const row = await load(user.id);
    expect(row.emailVerifiedAt?.getTime()).toBe(T0.getTime());
    expect((await passwords.verify(NEW, row.passwordHash!)).ok).toBe(true);
    expect(webhooks.events.filter((e) => e.type === 'user.email_verified')).toEqual([
      {
        type: 'user.email_verified',
        data: { userId: user.id, email: user.email, verifiedAt: T0.toISOString() },
        inTransaction: true,
      },
    ]);
  });

  it('refuses junk, unknown, expired and other-purpose links before any hash, with a failure event', async () => {
    const { service, sessions, hashOperations, resets, cleared } = setUp();
    const user = await account(sessions);
    const magic = await tokens.issue(em(), user.id, 'magic-link');
    const reset = await tokens.issue(em(), user.id, 'password-reset');
    for (const junk of ['', 'x'.repeat(257), 'unknown-token', magic]) {
      expect(await service.reset(em(), junk, NEW, PHONE)).toEqual({ kind: 'invalid-token' });
    }
    at(RESET_TTL);
    expect(await service.reset(em(), reset, NEW, PHONE)).toEqual({ kind: 'invalid-token' });
    expect(await hashOperations()).toBe(0);
    expect(resets()).toEqual(Array(5).fill('failure:-'));
    expect(cleared).toEqual([]);
    expect((await load(user.id)).passwordHash).toBe('not-a-real-hash');
    expect(await live(user.id)).toBe(2);
  });

  it('accepts a link token of exactly 256 characters', async () => {
    const { service, sessions } = setUp();
    const user = await account(sessions);
    const link = await tokens.issue(em(), user.id, 'password-reset');
    const long = 'y'.repeat(256);
    await em().nativeUpdate(OneTimeToken, { tokenHash: sha256Hex(link) }, { tokenHash: sha256Hex(long) });
    expect((await service.reset(em(), long, NEW, PHONE)).kind).toBe('password-changed');
  });

  it('refuses a password the policy rejects without spending the link', async () => {
    const { service, sessions, hashOperations, passwords } = setUp();
    const user = await account(sessions);
    const link = await tokens.issue(em(), user.id, 'password-reset');
    const short = await service.reset(em(), link, 'short', PHONE);
    expect(short.kind).toBe('password-rejected');
    expect(short.kind === 'password-rejected' && short.reasons.length).toBeGreaterThan(0);
    // The account's address is the policy's context: it is no password either.
    expect((await service.reset(em(), link, user.email, PHONE)).kind).toBe('password-rejected');
    expect(await hashOperations()).toBe(0);
    expect(await live(user.id)).toBe(2);
    expect((await service.reset(em(), link, NEW, PHONE)).kind).toBe('password-changed');
    expect((await passwords.verify(NEW, (await load(user.id)).passwordHash!)).ok).toBe(true);
  });

  it('sets no password on a disabled account, with the answer of a bad link', async () => {
    const { service, sessions, webhooks, resets, cleared } = setUp();
    const user = await account(sessions);
    const link = await tokens.issue(em(), user.id, 'password-reset');
    await em().nativeUpdate(User, { id: user.id }, { disabledAt: new Date() });
    expect(await service.reset(em(), link, NEW, PHONE)).toEqual({ kind: 'invalid-token' });
    expect((await load(user.id)).passwordHash).toBe('not-a-real-hash');
    expect(await live(user.id)).toBe(2);
    expect(
      webhooks.events.filter((e) => e.type === 'password.reset' || e.type === 'session.revoked'),
    ).toEqual([]);
    expect((await jobs()).filter((job) => job.userId === user.id)).toEqual([]);
    expect(resets()).toEqual(['failure:-']);
    expect(cleared).toEqual([]);
  });

  it('ends the other links outstanding before the reset', async () => {
    const { service, sessions } = setUp();
    const user = await account(sessions);
    const magic = await tokens.issue(em(), user.id, 'magic-link');
    const link = await tokens.issue(em(), user.id, 'password-reset');
    expect((await service.reset(em(), link, NEW, PHONE)).kind).toBe('password-changed');
    expect(await em().count(OneTimeToken, { user: user.id, usedAt: null })).toBe(0);
    expect(await tokens.consume(em(), magic, 'magic-link')).toBeNull();
  });

  it('resets without a hook for the failure counter', async () => {
    const { service, sessions, passwords } = setUp({ withHook: false });
    const user = await account(sessions);
    const link = await tokens.issue(em(), user.id, 'password-reset');
    expect(await service.reset(em(), link, NEW, PHONE)).toEqual({
      kind: 'password-changed',
      signedOutSessions: 2,
    });
    expect((await passwords.verify(NEW, (await load(user.id)).passwordHash!)).ok).toBe(true);
  });
});
