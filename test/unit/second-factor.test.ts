import { randomUUID } from 'node:crypto';
import { generateSync } from 'otplib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  legacyRecoveryCodeHash,
  normaliseRecoveryCode,
  replaceRecoveryCodes,
} from '../../src/auth/recovery-codes.js';
import {
  MAX_CONSECUTIVE_FACTOR_FAILURES,
  MAX_FACTOR_FAILURES,
  SecondFactorService,
  TOTP_SEAL_PURPOSE,
} from '../../src/auth/second-factor.service.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { SecurityEvents } from '../../src/observability/security-events.js';
import type { SecurityEvent } from '../../src/observability/security-events.js';
import { Totp } from '../../src/security/totp.js';
import { RecoveryCode, User } from '../../src/storage/entities/index.js';
import { insertUser, openSecurityStack } from '../helpers/security-stack.js';
import type { SecurityStack } from '../helpers/security-stack.js';

/**
 * The second-factor check every flow goes through (src/auth/second-factor.service.ts) on a real
 * database and a fake clock: TOTP codes spent once (MF-2), recovery codes spent once, and the
 * per-user failure limits (10 in a row until a fresh primary sign-in, 100 in total until a
 * success). Fast enough for Stryker.
 */
const T0 = new Date('2026-12-01T10:00:15.000Z');
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const OTHER_SECRET = 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU';
const CLIENT = { ip: '203.0.113.7', userAgent: 'test' };
const code = (secret = SECRET, offsetSeconds = 0) =>
  generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSeconds });
const stepNow = () => Math.floor(Date.now() / 30_000);

let stack: SecurityStack;
let n = 0;
const recorded: SecurityEvent[] = [];
let factors: SecondFactorService;
beforeAll(async () => {
  stack = await openSecurityStack('sqlite');
  const events = new SecurityEvents(
    [{ name: 'test', record: async (event) => void recorded.push(event) }],
    createLogger('silent'),
    new Metrics(),
  );
  factors = new SecondFactorService(stack.box, new Totp('Plinto test'), events);
});
afterAll(async () => {
  await stack?.close();
});
afterEach(() => {
  vi.useRealTimers();
  recorded.length = 0;
});
const em = () => stack.orm.em.fork();

/** A user with TOTP on (the secret given), read back as the flows read it. */
async function enrolled(secret = SECRET): Promise<User> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  const profile = await insertUser(stack.orm, `factor-${++n}@example.com`);
  await em().nativeUpdate(
    User,
    { id: profile.id },
    { totpEnabledAt: new Date(), totpSecretEncrypted: stack.box.seal(TOTP_SEAL_PURPOSE, secret) },
  );
  return load(profile.id);
}
const load = (id: string) => em().findOneOrFail(User, { id }, { disableIdentityMap: true });
const counters = async (id: string) => {
  const row = await load(id);
  return { failures: row.factorFailures, base: row.factorFailureBase };
};
const setCounters = (id: string, factorFailures: number, factorFailureBase: number) =>
  em().nativeUpdate(User, { id }, { factorFailures, factorFailureBase });

describe('second factor', () => {
  it('accepts a current TOTP code once, stores its step, and resets the failure counters', async () => {
    const user = await enrolled();
    expect(await factors.verify(em(), user, '000000' === code() ? '111111' : '000000', CLIENT)).toEqual({
      kind: 'invalid',
    });
    expect(await counters(user.id)).toEqual({ failures: 1, base: 0 });
    await setCounters(user.id, 7, 3);
    expect(await factors.verify(em(), user, ` ${code()} `, CLIENT)).toEqual({
      kind: 'totp',
      step: stepNow(),
    });
    const row = await load(user.id);
    expect(row.totpLastUsedStep).toBe(stepNow());
    expect(await counters(user.id)).toEqual({ failures: 0, base: 0 });
    // The same code again, read back as a flow would: a replay.
    expect(await factors.verify(em(), row, code(), CLIENT)).toEqual({ kind: 'invalid' });
    expect(await counters(user.id)).toEqual({ failures: 1, base: 0 });
    // The next step's code is accepted (within the tolerance), and moves the step forward.
    expect(await factors.verify(em(), await load(user.id), code(SECRET, 30), CLIENT)).toEqual({
      kind: 'totp',
      step: stepNow() + 1,
    });
  });

  it('refuses a TOTP step that another request already spent, even to a caller that read the user before', async () => {
    const user = await enrolled();
    const stale = await load(user.id);
    expect(await factors.verify(em(), user, code(SECRET, 30), CLIENT)).toMatchObject({ kind: 'totp' });
    // `stale` does not know the step was spent: only the conditional update refuses the older code.
    expect(await factors.verify(em(), stale, code(), CLIENT)).toEqual({ kind: 'invalid' });
    expect((await load(user.id)).totpLastUsedStep).toBe(stepNow() + 1);
  });

  it('does not accept a code of a secret that was replaced meanwhile (re-enrollment)', async () => {
    const user = await enrolled();
    await em().nativeUpdate(
      User,
      { id: user.id },
      { totpSecretEncrypted: stack.box.seal(TOTP_SEAL_PURPOSE, OTHER_SECRET) },
    );
    // `user` still carries the old sealed secret.
    expect(await factors.verify(em(), user, code(), CLIENT)).toEqual({ kind: 'invalid' });
    expect((await load(user.id)).totpLastUsedStep).toBeNull();
    expect(await factors.verify(em(), await load(user.id), code(OTHER_SECRET), CLIENT)).toMatchObject({
      kind: 'totp',
    });
  });

  it('refuses every code of a user without TOTP, without counting an attempt', async () => {
    const user = await enrolled();
    const off = await load(user.id);
    off.totpEnabledAt = null;
    expect(await factors.verify(em(), off, code(), CLIENT)).toEqual({ kind: 'invalid' });
    const noSecret = await load(user.id);
    noSecret.totpSecretEncrypted = null;
    expect(await factors.verify(em(), noSecret, code(), CLIENT)).toEqual({ kind: 'invalid' });
    expect(await counters(user.id)).toEqual({ failures: 0, base: 0 });
    expect(recorded).toEqual([]);
  });

  it('spends a recovery code once, in any display form, only for its owner, and records its use', async () => {
    const user = await enrolled();
    const other = await enrolled();
    const codes = await replaceRecoveryCodes(em(), stack.box, user.id);
    const theirs = await replaceRecoveryCodes(em(), stack.box, other.id);
    expect(await factors.verify(em(), user, theirs[0]!, CLIENT)).toEqual({ kind: 'invalid' });
    await setCounters(user.id, 4, 0);
    expect(await factors.verify(em(), user, ` ${codes[0]!.toUpperCase()} `, CLIENT)).toEqual({
      kind: 'recovery-code',
    });
    expect(await counters(user.id)).toEqual({ failures: 0, base: 0 });
    expect(recorded).toEqual([
      { kind: 'recovery_code_used', result: 'success', userId: user.id, client: CLIENT },
    ]);
    expect(await factors.verify(em(), user, codes[0]!, CLIENT)).toEqual({ kind: 'invalid' });
    expect(await em().count(RecoveryCode, { user: user.id, usedAt: null })).toBe(codes.length - 1);
    // The other user's codes are all still unused.
    expect(await em().count(RecoveryCode, { user: other.id, usedAt: null })).toBe(theirs.length);
    // Something that is neither a TOTP code nor a recovery code is a wrong code.
    expect(await factors.verify(em(), user, 'not a code', CLIENT)).toEqual({ kind: 'invalid' });
    expect(await counters(user.id)).toEqual({ failures: 2, base: 0 });
  });

  it('still accepts, once, a recovery code stored as the legacy unkeyed hash', async () => {
    const user = await enrolled();
    const legacy = 'abcd-efgh-jkmn';
    await em().insert(RecoveryCode, {
      id: randomUUID(),
      user: user.id,
      codeHash: legacyRecoveryCodeHash(normaliseRecoveryCode(legacy)!),
      createdAt: new Date(),
    });
    expect(await factors.verify(em(), user, legacy, CLIENT)).toEqual({ kind: 'recovery-code' });
    expect(await factors.verify(em(), user, legacy, CLIENT)).toEqual({ kind: 'invalid' });
  });

  it('locks after 10 wrong codes in a row until a fresh primary sign-in, and refuses even the right code meanwhile', async () => {
    const user = await enrolled();
    for (let i = 0; i < MAX_CONSECUTIVE_FACTOR_FAILURES; i += 1) {
      expect(await factors.isLocked(em(), user.id)).toBe(false);
      expect(await factors.verify(em(), user, 'wrong', CLIENT)).toEqual({ kind: 'invalid' });
    }
    expect(MAX_CONSECUTIVE_FACTOR_FAILURES).toBe(10);
    expect(await factors.isLocked(em(), user.id)).toBe(true);
    expect(await factors.verify(em(), user, code(), CLIENT)).toEqual({ kind: 'locked' });
    expect(recorded).toEqual([{ kind: 'mfa', result: 'rejected', userId: user.id, client: CLIENT }]);
    expect(await counters(user.id)).toEqual({ failures: 10, base: 0 });
    await factors.primaryProven(em(), user.id);
    expect(await counters(user.id)).toEqual({ failures: 10, base: 10 });
    expect(await factors.isLocked(em(), user.id)).toBe(false);
    expect(await factors.verify(em(), user, code(), CLIENT)).toMatchObject({ kind: 'totp' });
    expect(await counters(user.id)).toEqual({ failures: 0, base: 0 });
  });

  it('locks after 100 wrong codes in total until a success, whatever the sign-ins in between', async () => {
    const user = await enrolled();
    expect(MAX_FACTOR_FAILURES).toBe(100);
    await setCounters(user.id, 98, 98);
    expect(await factors.verify(em(), user, 'wrong', CLIENT)).toEqual({ kind: 'invalid' });
    expect(await factors.isLocked(em(), user.id)).toBe(false);
    expect(await factors.verify(em(), user, 'wrong', CLIENT)).toEqual({ kind: 'invalid' });
    expect(await counters(user.id)).toEqual({ failures: 100, base: 98 });
    expect(await factors.isLocked(em(), user.id)).toBe(true);
    await factors.primaryProven(em(), user.id);
    expect(await factors.isLocked(em(), user.id)).toBe(true);
    expect(await factors.verify(em(), user, code(), CLIENT)).toEqual({ kind: 'locked' });
    // Another user is not affected.
    const other = await enrolled();
    expect(await factors.isLocked(em(), other.id)).toBe(false);
    expect(await factors.verify(em(), other, code(), CLIENT)).toMatchObject({ kind: 'totp' });
    // An unknown user counts as locked.
    expect(await factors.isLocked(em(), '00000000-0000-4000-8000-000000000000')).toBe(true);
  });

  it('resets and unlocks only the user concerned: another user’s counters stay as they were', async () => {
    const user = await enrolled();
    const other = await enrolled();
    await setCounters(other.id, 10, 0);
    await setCounters(user.id, 10, 0);
    await factors.primaryProven(em(), user.id);
    expect(await counters(other.id)).toEqual({ failures: 10, base: 0 });
    expect(await factors.isLocked(em(), other.id)).toBe(true);
    expect(await factors.verify(em(), user, code(), CLIENT)).toMatchObject({ kind: 'totp' });
    expect(await counters(user.id)).toEqual({ failures: 0, base: 0 });
    expect(await counters(other.id)).toEqual({ failures: 10, base: 0 });
    expect(await factors.verify(em(), other, code(), CLIENT)).toEqual({ kind: 'locked' });
  });

  it('counts consecutive failures from the last primary sign-in: 9 after it is not yet a lock', async () => {
    const user = await enrolled();
    await setCounters(user.id, 29, 20);
    expect(await factors.isLocked(em(), user.id)).toBe(false);
    expect(await factors.verify(em(), user, 'wrong', CLIENT)).toEqual({ kind: 'invalid' });
    expect(await factors.isLocked(em(), user.id)).toBe(true);
    expect(await factors.verify(em(), user, code(), CLIENT)).toEqual({ kind: 'locked' });
    expect(await counters(user.id)).toEqual({ failures: 30, base: 20 });
  });
});
