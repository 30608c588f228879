import type { EntityManager } from '@mikro-orm/core';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CredentialChange } from '../../src/auth/credential-change.js';
import { MemoryLivenessCache } from '../../src/auth/liveness-cache.js';
import { LoginFailureCounter } from '../../src/auth/login-failure-counter.js';
import { PasswordChangeService } from '../../src/auth/password-change.service.js';
import { SessionService } from '../../src/auth/session.service.js';
import { StepUpService } from '../../src/auth/step-up.js';
import type { UserProfile } from '../../src/auth/user.service.js';
import { JOB_PURPOSE, MailOutbox } from '../../src/mail/mail-outbox.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { KeyedHash, REDIS_EMAIL_KEY_LABEL } from '../../src/security/crypto.js';
import { HashQueue } from '../../src/security/hash-queue.js';
import { PasswordService } from '../../src/security/password.service.js';
import {
  AuditEvent,
  MailOutboxEntry,
  OneTimeToken,
  Session,
  User,
} from '../../src/storage/entities/index.js';
import type { WebhookEmitter } from '../../src/webhooks/webhook-outbox.js';
import type { WebhookEvent } from '../../src/webhooks/webhook-events.js';
import { OneTimeTokenService } from '../../src/auth/one-time-token.service.js';
import { insertUser, openSecurityStack } from '../helpers/security-stack.js';
import type { SecurityStack } from '../helpers/security-stack.js';

/**
 * changePassword (src/auth/password-change.service.ts) on a real database, real bcrypt at low cost,
 * the real session service and the in-process sign-in failure counter: step-up first, the new
 * password's policy, the current password (and its lockout), the conditional write, what ends with
 * the change, the notice mail, the webhook and the audit events. Fast enough for Stryker.
 */
const T0 = new Date('2026-12-01T10:00:00.000Z');
const at = (seconds: number) => vi.setSystemTime(new Date(T0.getTime() + seconds * 1000));
const STEP_UP_SECONDS = 300;
const PHONE = { ip: '203.0.113.7', userAgent: 'PlintoPhone/1.0' };
const OLD = 'an old passphrase of mine';
const NEW = 'a brand new passphrase 42';

class RecordedWebhooks implements WebhookEmitter {
  readonly events: Array<WebhookEvent & { inTransaction: boolean }> = [];
  async emit(em: EntityManager, event: WebhookEvent): Promise<number> {
    this.events.push({ ...event, inTransaction: em.isInTransaction() });
    return 0;
  }
}

let stack: SecurityStack;
let passwords: PasswordService;
let n = 0;
let oldHash: string;
beforeAll(async () => {
  stack = await openSecurityStack('sqlite');
  passwords = new PasswordService(
    { scheme: 'bcrypt', bcryptCost: 4, prehashKeys: [Buffer.alloc(32, 7)] },
    new HashQueue(2, 100),
    new Metrics(),
  );
  oldHash = await passwords.hash(OLD);
});
afterAll(async () => {
  await stack?.close();
});
afterEach(() => {
  vi.useRealTimers();
});
const em = () => stack.orm.em.fork();

function setUp(options: { failures?: boolean; passwordService?: PasswordService } = {}) {
  vi.useFakeTimers({ toFake: ['Date'] });
  at(0);
  const webhooks = new RecordedWebhooks();
  const sessions = new SessionService(
    stack.accessTokens,
    new MemoryLivenessCache(),
    stack.box,
    stack.events,
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
  const failures =
    options.failures === false
      ? null
      : new LoginFailureCounter(
          null,
          `plinto-test-${randomBytes(4).toString('hex')}:`,
          new Metrics(),
          createLogger('silent'),
          new KeyedHash('a-test-secret-that-is-long-enough-0123', REDIS_EMAIL_KEY_LABEL),
        );
  const service = new PasswordChangeService(
    options.passwordService ?? passwords,
    sessions,
    new CredentialChange(sessions, webhooks),
    new MailOutbox(stack.box),
    stack.events,
    new StepUpService(STEP_UP_SECONDS),
    failures,
    webhooks,
  );
  return { service, sessions, webhooks, failures };
}

/** A user (with the old password unless `withPassword` is false) and a fresh session of theirs. */
async function account(sessions: SessionService, withPassword = true) {
  const user: UserProfile = await insertUser(stack.orm, `change-${++n}@example.com`);
  if (withPassword) await em().nativeUpdate(User, { id: user.id }, { passwordHash: oldHash });
  const signedIn = await sessions.create(em(), user, ['pwd'], PHONE);
  const auth = { userId: user.id, sessionId: signedIn.session.id, amr: ['pwd'], roles: [] };
  return { user, auth };
}
const storedHash = async (userId: string) => (await em().findOneOrFail(User, userId)).passwordHash;
const audit = async (userId: string) =>
  (await em().find(AuditEvent, { userId, kind: 'password_changed' }, { orderBy: { createdAt: 'asc' } })).map(
    (e) => `${e.result}:${e.sessionId ? 'session' : '-'}:${e.ip ?? '-'}`,
  );
const notices = async (userId: string) =>
  (await em().find(MailOutboxEntry, {}))
    .map((entry) => JSON.parse(stack.box.open(JOB_PURPOSE, entry.payload)) as Record<string, unknown>)
    .filter((job) => job.userId === userId);
const live = async (userId: string) => em().count(Session, { user: userId, revokedAt: null });
const input = (currentPassword: string, newPassword = NEW, signOutOtherSessions = false) => ({
  currentPassword,
  newPassword,
  signOutOtherSessions,
});

describe('changePassword', () => {
  it('changes the password with the current one: the new verifies, the old no longer, and the owner is told', async () => {
    const { service, sessions, webhooks } = setUp();
    const { user, auth } = await account(sessions);
    const outcome = await service.change(em(), auth, input(OLD), PHONE);
    expect(outcome).toEqual({ kind: 'password-changed', signedOutSessions: 0 });
    const hash = await storedHash(user.id);
    expect(hash).not.toBe(oldHash);
    expect((await passwords.verify(NEW, hash!)).ok).toBe(true);
    expect((await passwords.verify(OLD, hash!)).ok).toBe(false);
    expect((await em().findOneOrFail(User, user.id)).updatedAt.getTime()).toBe(T0.getTime());
    expect(await audit(user.id)).toEqual(['success:session:203.0.113.7']);
    const mails = await notices(user.id);
    expect(mails).toEqual([
      expect.objectContaining({
        kind: 'security-notice',
        event: 'password-changed',
        ip: PHONE.ip,
        at: T0.toISOString(),
      }),
    ]);
    const changed = webhooks.events.filter((e) => e.type === 'password.changed');
    expect(changed).toEqual([
      {
        type: 'password.changed',
        data: { userId: user.id, changedAt: T0.toISOString(), firstPassword: false },
        inTransaction: true,
      },
    ]);
  });

  it('sets a first password on an account without one, with the step-up alone', async () => {
    const { service, sessions, webhooks } = setUp();
    const { user, auth } = await account(sessions, false);
    expect(await service.change(em(), auth, input('anything at all'), PHONE)).toEqual({
      kind: 'password-changed',
      signedOutSessions: 0,
    });
    expect((await passwords.verify(NEW, (await storedHash(user.id))!)).ok).toBe(true);
    expect(webhooks.events.filter((e) => e.type === 'password.changed')).toEqual([
      expect.objectContaining({
        data: { userId: user.id, changedAt: T0.toISOString(), firstPassword: true },
      }),
    ]);
  });

  it('answers step-up-required for an old authentication, before looking at either password', async () => {
    const { service, sessions, failures } = setUp();
    const { user, auth } = await account(sessions);
    at(STEP_UP_SECONDS + 1);
    // A wrong current password and a rejected new one: neither is looked at.
    expect(await service.change(em(), auth, input('wrong', 'short'), PHONE)).toEqual({
      kind: 'step-up-required',
      maxAgeSeconds: STEP_UP_SECONDS,
    });
    expect(await storedHash(user.id)).toBe(oldHash);
    expect(await audit(user.id)).toEqual([]);
    expect(await failures!.recordFailure(user.email, PHONE)).toBe(1);
    // Exactly at the limit it is still recent.
    at(STEP_UP_SECONDS);
    expect((await service.change(em(), auth, input(OLD), PHONE)).kind).toBe('password-changed');
  });

  it('refuses a new password the policy rejects, with its reasons, before checking the current one', async () => {
    const { service, sessions, failures } = setUp();
    const { user, auth } = await account(sessions);
    const outcome = await service.change(em(), auth, input('wrong', 'short'), PHONE);
    expect(outcome.kind).toBe('password-rejected');
    expect(outcome.kind === 'password-rejected' && outcome.reasons.length).toBeGreaterThan(0);
    // The new password may not be the address either (the user's email is the policy's context).
    const asEmail = await service.change(em(), auth, input(OLD, user.email), PHONE);
    expect(asEmail.kind).toBe('password-rejected');
    expect(await storedHash(user.id)).toBe(oldHash);
    expect(await audit(user.id)).toEqual([]);
    expect(await failures!.recordFailure(user.email, PHONE)).toBe(1);
  });

  it('refuses a wrong current password: nothing changes, a failure is audited and counted', async () => {
    const { service, sessions, webhooks, failures } = setUp();
    const { user, auth } = await account(sessions);
    expect(await service.change(em(), auth, input('not my password'), PHONE)).toEqual({
      kind: 'invalid-credentials',
    });
    expect(await storedHash(user.id)).toBe(oldHash);
    expect(await audit(user.id)).toEqual(['failure:session:203.0.113.7']);
    expect(await notices(user.id)).toEqual([]);
    expect(webhooks.events.filter((e) => e.type === 'password.changed')).toEqual([]);
    // The failure was counted for this address and device: the next is the second.
    expect(await failures!.recordFailure(user.email, PHONE)).toBe(2);
  });

  it('refuses a current password over the input limit without hashing it, and accepts one at the limit', async () => {
    const metrics = new Metrics();
    const counted = new PasswordService(
      { scheme: 'bcrypt', bcryptCost: 4, prehashKeys: [Buffer.alloc(32, 7)] },
      new HashQueue(2, 100),
      metrics,
    );
    const hashOperations = async () =>
      (await metrics.passwordHashDuration.get()).values
        .filter((v) => v.metricName === 'plinto_password_hash_duration_seconds_count')
        .reduce((sum, v) => sum + v.value, 0);
    const { service, sessions, failures } = setUp({ passwordService: counted });
    const { user, auth } = await account(sessions);
    // 1025 bytes: refused before any hash runs (no bcrypt work for an over-long input).
    expect(await service.change(em(), auth, input('é'.repeat(512) + 'x'), PHONE)).toEqual({
      kind: 'invalid-credentials',
    });
    expect(await hashOperations()).toBe(0);
    expect(await storedHash(user.id)).toBe(oldHash);
    expect(await failures!.recordFailure(user.email, PHONE)).toBe(2);
    await failures!.clear(user.email, PHONE);
    // Exactly 1024 bytes (512 two-byte characters) is within the limit and verifies.
    const atLimit = 'é'.repeat(512);
    await em().nativeUpdate(User, { id: user.id }, { passwordHash: await passwords.hash(atLimit) });
    expect((await service.change(em(), auth, input(atLimit), PHONE)).kind).toBe('password-changed');
  });

  it('clears the failure count after a success', async () => {
    const { service, sessions, failures } = setUp();
    const { user, auth } = await account(sessions);
    await service.change(em(), auth, input('wrong one'), PHONE);
    await service.change(em(), auth, input('wrong two'), PHONE);
    expect((await service.change(em(), auth, input(OLD), PHONE)).kind).toBe('password-changed');
    expect(await failures!.recordFailure(user.email, PHONE)).toBe(1);
  });

  it('refuses even the right current password while sign-in is locked for the account', async () => {
    const { service, sessions, failures } = setUp();
    const { user, auth } = await account(sessions);
    for (let i = 0; i < 20 && (await failures!.check(user.email, PHONE)).allowed; i += 1) {
      await failures!.recordFailure(user.email, PHONE);
    }
    expect((await failures!.check(user.email, PHONE)).allowed).toBe(false);
    expect(await service.change(em(), auth, input(OLD), PHONE)).toEqual({ kind: 'invalid-credentials' });
    expect(await storedHash(user.id)).toBe(oldHash);
    expect(await audit(user.id)).toEqual(['failure:session:203.0.113.7']);
  });

  it('works without a failure counter', async () => {
    const { service, sessions } = setUp({ failures: false });
    const { user, auth } = await account(sessions);
    expect(await service.change(em(), auth, input('wrong'), PHONE)).toEqual({ kind: 'invalid-credentials' });
    expect((await service.change(em(), auth, input(OLD), PHONE)).kind).toBe('password-changed');
    expect((await passwords.verify(NEW, (await storedHash(user.id))!)).ok).toBe(true);
  });

  it('signs out the other sessions only when asked, never the current one', async () => {
    const { service, sessions } = setUp();
    const { user, auth } = await account(sessions);
    const profile = { ...user };
    await sessions.create(em(), profile, ['pwd'], PHONE);
    await sessions.create(em(), profile, ['pwd'], PHONE);
    const other = await account(sessions);
    expect(await service.change(em(), auth, input(OLD, NEW, false), PHONE)).toEqual({
      kind: 'password-changed',
      signedOutSessions: 0,
    });
    expect(await live(user.id)).toBe(3);
    expect(await service.change(em(), auth, input(NEW, 'a third passphrase 777', true), PHONE)).toEqual({
      kind: 'password-changed',
      signedOutSessions: 2,
    });
    expect(await live(user.id)).toBe(1);
    expect((await em().findOneOrFail(Session, auth.sessionId)).revokedAt).toBeNull();
    const revoked = await em().find(Session, { user: user.id, revokedAt: { $ne: null } });
    expect(revoked.map((s) => s.revokedReason)).toEqual(['password-changed', 'password-changed']);
    expect(await live(other.user.id)).toBe(1);
  });

  it('ends the links outstanding before the change', async () => {
    const { service, sessions } = setUp();
    const { user, auth } = await account(sessions);
    const tokens = new OneTimeTokenService({
      emailVerificationTtlSeconds: 100,
      passwordResetTtlSeconds: 200,
      magicLinkTtlSeconds: 300,
    });
    const reset = await tokens.issue(em(), user.id, 'password-reset');
    expect(await em().count(OneTimeToken, { user: user.id, usedAt: null })).toBe(1);
    expect((await service.change(em(), auth, input(OLD), PHONE)).kind).toBe('password-changed');
    expect(await em().count(OneTimeToken, { user: user.id, usedAt: null })).toBe(0);
    expect(await tokens.consume(em(), reset, 'password-reset')).toBeNull();
  });

  it('applies only one of two changes made against the same current password', async () => {
    // The second change verified the old hash, then lost the race: the row no longer holds it.
    const { sessions } = setUp();
    const { user, auth } = await account(sessions);
    const racing = Object.create(passwords) as PasswordService;
    racing.hash = async (password: string) => {
      await em().nativeUpdate(
        User,
        { id: user.id },
        { passwordHash: await passwords.hash('the winner 123456') },
      );
      return passwords.hash(password);
    };
    const { service, webhooks } = setUp({ passwordService: racing });
    const before = await live(user.id);
    expect(await service.change(em(), auth, input(OLD, NEW, true), PHONE)).toEqual({
      kind: 'invalid-credentials',
    });
    expect((await passwords.verify('the winner 123456', (await storedHash(user.id))!)).ok).toBe(true);
    expect(webhooks.events.filter((e) => e.type === 'password.changed')).toEqual([]);
    expect(await notices(user.id)).toEqual([]);
    expect(await live(user.id)).toBe(before);
    expect(await audit(user.id)).toEqual([]);
  });
});
