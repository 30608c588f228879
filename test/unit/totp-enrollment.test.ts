import type { EntityManager } from '@mikro-orm/core';
import { generateSync } from 'otplib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { replaceRecoveryCodes } from '../../src/auth/recovery-codes.js';
import { SecondFactorService, TOTP_SEAL_PURPOSE } from '../../src/auth/second-factor.service.js';
import { TotpEnrollmentService } from '../../src/auth/totp-enrollment.service.js';
import { JOB_PURPOSE, MailOutbox } from '../../src/mail/mail-outbox.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { SecurityEvents } from '../../src/observability/security-events.js';
import type { SecurityEvent } from '../../src/observability/security-events.js';
import { Totp } from '../../src/security/totp.js';
import { MailOutboxEntry, RecoveryCode, User } from '../../src/storage/entities/index.js';
import type { WebhookEmitter } from '../../src/webhooks/webhook-outbox.js';
import type { WebhookEvent } from '../../src/webhooks/webhook-events.js';
import { insertUser, openSecurityStack } from '../helpers/security-stack.js';
import type { SecurityStack } from '../helpers/security-stack.js';

/**
 * Turning TOTP on and off and regenerating recovery codes (src/auth/totp-enrollment.service.ts)
 * on a real database, the real TOTP and second-factor check and a fake clock. Fast enough for
 * Stryker.
 */
const T0 = new Date('2026-12-01T10:00:15.000Z');
const CLIENT = { ip: '203.0.113.7', userAgent: 'test' };
const codeFor = (secret: string, offsetSeconds = 0) =>
  generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSeconds });
/** A six-digit code valid at no step the check accepts (the steps around now). */
const wrongFor = (secret: string) => {
  const valid = new Set([-60, -30, 0, 30, 60].map((offset) => codeFor(secret, offset)));
  let candidate = Number(codeFor(secret));
  do candidate = (candidate + 1) % 1_000_000;
  while (valid.has(String(candidate).padStart(6, '0')));
  return String(candidate).padStart(6, '0');
};

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
const em = () => stack.orm.em.fork();

async function setUp() {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  const recorded: SecurityEvent[] = [];
  const events = new SecurityEvents(
    [{ name: 'test', record: async (event) => void recorded.push(event) }],
    createLogger('silent'),
    new Metrics(),
  );
  const totp = new Totp('Plinto test');
  const webhooks = new RecordedWebhooks();
  const service = new TotpEnrollmentService(
    stack.box,
    totp,
    new SecondFactorService(stack.box, totp, events),
    events,
    new MailOutbox(stack.box),
    webhooks,
  );
  const user = await insertUser(stack.orm, `enroll-${++n}@example.com`);
  const log = () => recorded.map((e) => `${e.kind}:${e.result}`);
  const notices = async () =>
    (await em().find(MailOutboxEntry, {}))
      .map((entry) => JSON.parse(stack.box.open(JOB_PURPOSE, entry.payload)) as Record<string, unknown>)
      .filter((job) => job.userId === user.id)
      .map((job) => `${String(job.event)}@${String(job.at)}`);
  return { service, webhooks, user, log, notices };
}
const load = (userId: string) => em().findOneOrFail(User, userId);

/** Begins and confirms: the user has TOTP on; returns the secret and the codes. */
async function enable(service: TotpEnrollmentService, userId: string) {
  const begun = await service.begin(em(), userId);
  if (begun.kind !== 'started') throw new Error('not started');
  const confirmed = await service.confirm(em(), userId, codeFor(begun.secret), CLIENT);
  if (confirmed.kind !== 'codes') throw new Error('not confirmed');
  vi.setSystemTime(new Date(T0.getTime() + 60_000));
  return { secret: begun.secret, codes: confirmed.codes };
}

describe('TOTP enrollment', () => {
  it('begins with a pending secret sealed at rest, and nothing changes for sign-in yet', async () => {
    const { service, user } = await setUp();
    const begun = await service.begin(em(), user.id);
    expect(begun.kind).toBe('started');
    if (begun.kind !== 'started') return;
    expect(begun.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(begun.otpauthUri).toContain(`secret=${begun.secret}`);
    expect(decodeURIComponent(begun.otpauthUri)).toContain(user.email);
    const row = await load(user.id);
    expect(row.totpEnabledAt).toBeNull();
    expect(row.totpSecretEncrypted).toBeNull();
    expect(row.totpPendingSecretEncrypted).not.toContain(begun.secret);
    expect(stack.box.open(TOTP_SEAL_PURPOSE, row.totpPendingSecretEncrypted!)).toBe(begun.secret);
    expect(row.updatedAt.getTime()).toBe(T0.getTime());
  });

  it('confirms with a code of the pending secret: TOTP on, the step spent, ten codes, mail, webhook and event', async () => {
    const { service, webhooks, user, log, notices } = await setUp();
    const begun = await service.begin(em(), user.id);
    if (begun.kind !== 'started') throw new Error('not started');
    const code = codeFor(begun.secret);
    const confirmed = await service.confirm(em(), user.id, code, CLIENT);
    expect(confirmed.kind).toBe('codes');
    expect(confirmed.kind === 'codes' && confirmed.codes).toHaveLength(10);
    const row = await load(user.id);
    expect(row.totpEnabledAt?.getTime()).toBe(T0.getTime());
    expect(row.totpPendingSecretEncrypted).toBeNull();
    expect(stack.box.open(TOTP_SEAL_PURPOSE, row.totpSecretEncrypted!)).toBe(begun.secret);
    expect(row.totpLastUsedStep).toBe(Math.floor(T0.getTime() / 30_000));
    expect(await em().count(RecoveryCode, { user: user.id })).toBe(10);
    expect(webhooks.events).toEqual([
      {
        type: 'mfa.enabled',
        data: { userId: user.id, method: 'totp', enabledAt: T0.toISOString() },
        inTransaction: true,
      },
    ]);
    expect(await notices()).toEqual([`mfa-enabled@${T0.toISOString()}`]);
    expect(log()).toEqual(['mfa_enabled:success']);
    // Confirmed once: the same code cannot confirm again, and begin answers already-enabled.
    expect(await service.confirm(em(), user.id, code, CLIENT)).toEqual({ kind: 'invalid-code' });
    expect(await service.begin(em(), user.id)).toEqual({ kind: 'already-enabled' });
  });

  it('refuses to confirm a wrong code, or without a pending secret, with a failure event', async () => {
    const { service, webhooks, user, log } = await setUp();
    expect(await service.confirm(em(), user.id, '123456', CLIENT)).toEqual({ kind: 'invalid-code' });
    const begun = await service.begin(em(), user.id);
    if (begun.kind !== 'started') throw new Error('not started');
    expect(await service.confirm(em(), user.id, wrongFor(begun.secret), CLIENT)).toEqual({
      kind: 'invalid-code',
    });
    expect((await load(user.id)).totpEnabledAt).toBeNull();
    expect(webhooks.events).toEqual([]);
    expect(log()).toEqual(['mfa_enabled:failure', 'mfa_enabled:failure']);
  });

  it('confirms only the latest pending secret', async () => {
    const { service, user } = await setUp();
    const first = await service.begin(em(), user.id);
    const second = await service.begin(em(), user.id);
    if (first.kind !== 'started' || second.kind !== 'started') throw new Error('not started');
    expect(await service.confirm(em(), user.id, codeFor(first.secret), CLIENT)).toEqual({
      kind: 'invalid-code',
    });
    expect((await service.confirm(em(), user.id, codeFor(second.secret), CLIENT)).kind).toBe('codes');
  });

  it('disables with a current code: every TOTP field and code gone, mail, webhook and event', async () => {
    const { service, webhooks, user, log, notices } = await setUp();
    const { secret } = await enable(service, user.id);
    const other = await insertUser(stack.orm, `enroll-other-${++n}@example.com`);
    await replaceRecoveryCodes(em(), stack.box, other.id);
    const now = new Date();
    expect(await service.disable(em(), user.id, codeFor(secret), CLIENT)).toBe(true);
    // Only this user's codes go.
    expect(await em().count(RecoveryCode, { user: other.id })).toBe(10);
    const row = await load(user.id);
    expect(row.totpEnabledAt).toBeNull();
    expect(row.totpSecretEncrypted).toBeNull();
    expect(row.totpPendingSecretEncrypted).toBeNull();
    expect(row.totpLastUsedStep).toBeNull();
    expect(row.mfaRecoveryDueAt).toBeNull();
    expect(row.updatedAt.getTime()).toBe(now.getTime());
    expect(await em().count(RecoveryCode, { user: user.id })).toBe(0);
    expect(webhooks.events.at(-1)).toEqual({
      type: 'mfa.disabled',
      data: { userId: user.id, method: 'totp', disabledAt: now.toISOString() },
      inTransaction: true,
    });
    expect(await notices()).toEqual([`mfa-enabled@${T0.toISOString()}`, `mfa-disabled@${now.toISOString()}`]);
    expect(log().filter((e) => e.startsWith('mfa_disabled'))).toEqual(['mfa_disabled:success']);
    // Off already: nothing to disable, and no code is checked (no failure recorded).
    expect(await service.disable(em(), user.id, codeFor(secret), CLIENT)).toBe(false);
    expect(log().filter((e) => e.startsWith('mfa_disabled'))).toEqual(['mfa_disabled:success']);
  });

  it('disables with a recovery code too, and refuses a wrong code with a failure event', async () => {
    const { service, user, log } = await setUp();
    const { secret, codes } = await enable(service, user.id);
    expect(await service.disable(em(), user.id, wrongFor(secret), CLIENT)).toBe(false);
    expect((await load(user.id)).totpEnabledAt).not.toBeNull();
    expect(log().filter((e) => e.startsWith('mfa_disabled'))).toEqual(['mfa_disabled:failure']);
    expect(await service.disable(em(), user.id, codes[0]!, CLIENT)).toBe(true);
  });

  it('refuses to disable while the factor check is locked', async () => {
    const { service, user, log } = await setUp();
    const { secret } = await enable(service, user.id);
    await em().nativeUpdate(User, { id: user.id }, { factorFailures: 100, factorFailureBase: 100 });
    expect(await service.disable(em(), user.id, codeFor(secret), CLIENT)).toBe(false);
    expect((await load(user.id)).totpEnabledAt).not.toBeNull();
    expect(log().filter((e) => e.startsWith('mfa_disabled'))).toEqual(['mfa_disabled:failure']);
  });

  it('regenerates ten codes with a current code; the earlier ones stop working', async () => {
    const { service, user, notices } = await setUp();
    const { secret, codes } = await enable(service, user.id);
    const now = new Date();
    const fresh = await service.regenerateRecoveryCodes(em(), user.id, codeFor(secret), CLIENT);
    expect(fresh.kind).toBe('codes');
    if (fresh.kind !== 'codes') return;
    expect(fresh.codes).toHaveLength(10);
    expect(fresh.codes).not.toContain(codes[0]);
    expect(await notices()).toEqual([
      `mfa-enabled@${T0.toISOString()}`,
      `recovery-codes-regenerated@${now.toISOString()}`,
    ]);
    vi.setSystemTime(new Date(now.getTime() + 60_000));
    expect(await service.regenerateRecoveryCodes(em(), user.id, codes[0]!, CLIENT)).toEqual({
      kind: 'invalid-code',
    });
    expect((await service.regenerateRecoveryCodes(em(), user.id, fresh.codes[0]!, CLIENT)).kind).toBe(
      'codes',
    );
  });

  it('refuses to regenerate without TOTP on, with a wrong code, or while locked', async () => {
    const { service, user, log } = await setUp();
    expect(await service.regenerateRecoveryCodes(em(), user.id, '123456', CLIENT)).toEqual({
      kind: 'invalid-code',
    });
    const { secret } = await enable(service, user.id);
    expect(await service.regenerateRecoveryCodes(em(), user.id, wrongFor(secret), CLIENT)).toEqual({
      kind: 'invalid-code',
    });
    expect(log().filter((e) => e.startsWith('mfa:'))).toEqual(['mfa:failure']);
    await em().nativeUpdate(User, { id: user.id }, { factorFailures: 100, factorFailureBase: 100 });
    expect(await service.regenerateRecoveryCodes(em(), user.id, codeFor(secret), CLIENT)).toEqual({
      kind: 'invalid-code',
    });
    expect(await em().count(RecoveryCode, { user: user.id, usedAt: null })).toBe(10);
  });
});
