import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { OneTimeTokenService } from '../../src/auth/one-time-token.service.js';
import {
  RECOVERY_CODE_COUNT,
  hashRecoveryCode,
  legacyRecoveryCodeHash,
  normaliseRecoveryCode,
  recoveryCodeHashCandidates,
  replaceRecoveryCodes,
} from '../../src/auth/recovery-codes.js';
import { SecretBox, sha256Hex } from '../../src/security/crypto.js';
import { OneTimeToken, RecoveryCode } from '../../src/storage/entities/index.js';
import { STACK_SECRET, insertUser, openSecurityStack } from '../helpers/security-stack.js';
import type { SecurityStack } from '../helpers/security-stack.js';

/**
 * One-time email tokens (src/auth/one-time-token.service.ts) and recovery codes
 * (src/auth/recovery-codes.ts) on a real database and a fake clock: ET-1…ET-4, MF-13 and the code
 * format, fast enough for Stryker to run against every mutant of both modules.
 */
const T0 = new Date('2026-12-01T10:00:00.000Z');
const at = (seconds: number) => vi.setSystemTime(new Date(T0.getTime() + seconds * 1000));
const LIFETIMES = {
  emailVerificationTtlSeconds: 100,
  passwordResetTtlSeconds: 200,
  magicLinkTtlSeconds: 300,
};

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
const newUser = () => insertUser(stack.orm, `ott-${++n}@example.com`);

describe('one-time tokens', () => {
  const tokens = new OneTimeTokenService(LIFETIMES);

  it('has the lifetime of its purpose; a lost second factor gets the reset link’s', () => {
    expect(tokens.ttlSeconds('email-verification')).toBe(100);
    expect(tokens.ttlSeconds('password-reset')).toBe(200);
    expect(tokens.ttlSeconds('magic-link')).toBe(300);
    expect(tokens.ttlSeconds('mfa-recovery')).toBe(200);
    // A new address's confirmation link lives as a verification link; the undo link 7 days longer.
    expect(tokens.ttlSeconds('email-change')).toBe(100);
    expect(tokens.ttlSeconds('email-change-undo')).toBe(7 * 86_400 + 100);
  });

  it('keeps every undo link of email changes working, while a new confirmation link supersedes the older', async () => {
    const user = await newUser();
    const firstUndo = await tokens.issue(em(), user.id, 'email-change-undo', 'first@example.com');
    const firstChange = await tokens.issue(em(), user.id, 'email-change', 'a@example.com');
    const secondUndo = await tokens.issue(em(), user.id, 'email-change-undo', 'second@example.com');
    const secondChange = await tokens.issue(em(), user.id, 'email-change', 'b@example.com');
    expect(await tokens.consume(em(), firstChange, 'email-change')).toBeNull();
    expect(await tokens.consumeWithPayload(em(), secondChange, 'email-change')).toMatchObject({
      userId: user.id,
      payload: 'b@example.com',
    });
    expect(await tokens.consumeWithPayload(em(), firstUndo, 'email-change-undo')).toMatchObject({
      userId: user.id,
      payload: 'first@example.com',
    });
    expect(await tokens.consumeWithPayload(em(), secondUndo, 'email-change-undo')).toMatchObject({
      userId: user.id,
      payload: 'second@example.com',
    });
  });

  it('stores only the hash, with its purpose, owner and expiry, and works once until it expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    at(0);
    const user = await newUser();
    const token = await tokens.issue(em(), user.id, 'magic-link');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = await em().findOneOrFail(OneTimeToken, { user: user.id });
    expect(row).toMatchObject({
      tokenHash: sha256Hex(token),
      purpose: 'magic-link',
      createdAt: T0,
      usedAt: null,
    });
    expect(row.expiresAt).toEqual(new Date(T0.getTime() + 300_000));
    expect(await em().count(OneTimeToken, { tokenHash: token })).toBe(0);
    // Another purpose does not use it.
    expect(await tokens.consume(em(), token, 'password-reset')).toBeNull();
    at(299.999);
    expect(await tokens.consume(em(), token, 'magic-link')).toBe(user.id);
    expect((await em().findOneOrFail(OneTimeToken, { tokenHash: sha256Hex(token) })).usedAt).toEqual(
      new Date(T0.getTime() + 299_999),
    );
    expect(await tokens.consume(em(), token, 'magic-link')).toBeNull();
    // Expired at the instant of its expiry.
    at(0);
    const late = await tokens.issue(em(), user.id, 'magic-link');
    at(300);
    expect(await tokens.consume(em(), late, 'magic-link')).toBeNull();
  });

  it('refuses an empty, over-long or unknown token; 256 characters are still looked up', async () => {
    const user = await newUser();
    for (const presented of ['', 'x'.repeat(257), 'unknown-token']) {
      expect(await tokens.consume(em(), presented, 'password-reset')).toBeNull();
    }
    for (const length of [256, 257]) {
      await em().insert(OneTimeToken, {
        tokenHash: sha256Hex('y'.repeat(length)),
        user: user.id,
        purpose: 'password-reset',
        createdAt: new Date(),
        expiresAt: new Date(Date.now() + 60_000),
      });
    }
    expect(await tokens.consume(em(), 'y'.repeat(257), 'password-reset')).toBeNull();
    expect(await tokens.consume(em(), 'y'.repeat(256), 'password-reset')).toBe(user.id);
  });

  it('supersedes the user’s older unused token of the same purpose, and only that', async () => {
    const user = await newUser();
    const other = await newUser();
    const used = await tokens.issue(em(), user.id, 'password-reset');
    expect(await tokens.consume(em(), used, 'password-reset')).toBe(user.id);
    const first = await tokens.issue(em(), user.id, 'password-reset');
    const verification = await tokens.issue(em(), user.id, 'email-verification');
    const theirs = await tokens.issue(em(), other.id, 'password-reset');
    const second = await tokens.issue(em(), user.id, 'password-reset');
    expect(await tokens.consume(em(), first, 'password-reset')).toBeNull();
    expect(await tokens.consume(em(), second, 'password-reset')).toBe(user.id);
    expect(await tokens.consume(em(), verification, 'email-verification')).toBe(user.id);
    expect(await tokens.consume(em(), theirs, 'password-reset')).toBe(other.id);
    // The used one stays (its row is the record of use).
    expect(await em().count(OneTimeToken, { tokenHash: sha256Hex(used) })).toBe(1);
  });

  it('using one token marks only that token used: another user’s outstanding token still works', async () => {
    const user = await newUser();
    const other = await newUser();
    const mine = await tokens.issue(em(), user.id, 'password-reset');
    const theirs = await tokens.issue(em(), other.id, 'password-reset');
    const myLink = await tokens.issue(em(), user.id, 'magic-link');
    expect(await tokens.consume(em(), mine, 'password-reset')).toBe(user.id);
    const unused = await em().find(OneTimeToken, {
      tokenHash: { $in: [sha256Hex(theirs), sha256Hex(myLink)] },
    });
    expect(unused.map((row) => row.usedAt)).toEqual([null, null]);
    expect(await tokens.consume(em(), theirs, 'password-reset')).toBe(other.id);
    expect(await tokens.consume(em(), myLink, 'magic-link')).toBe(user.id);
  });

  it('lets exactly one of concurrent uses win', async () => {
    const user = await newUser();
    const token = await tokens.issue(em(), user.id, 'magic-link');
    const results = await Promise.all([1, 2, 3].map(() => tokens.consume(em(), token, 'magic-link')));
    expect(results.filter((r) => r === user.id)).toHaveLength(1);
    expect(results.filter((r) => r === null)).toHaveLength(2);
  });

  it('revokes the outstanding tokens of the given purposes only', async () => {
    const user = await newUser();
    const other = await newUser();
    const reset = await tokens.issue(em(), user.id, 'password-reset');
    const link = await tokens.issue(em(), user.id, 'magic-link');
    const verification = await tokens.issue(em(), user.id, 'email-verification');
    const theirs = await tokens.issue(em(), other.id, 'magic-link');
    await tokens.revokeOutstanding(em(), user.id, ['password-reset', 'magic-link']);
    expect(await tokens.consume(em(), reset, 'password-reset')).toBeNull();
    expect(await tokens.consume(em(), link, 'magic-link')).toBeNull();
    expect(await tokens.consume(em(), verification, 'email-verification')).toBe(user.id);
    expect(await tokens.consume(em(), theirs, 'magic-link')).toBe(other.id);
  });
});

describe('recovery codes', () => {
  it('replaces the user’s codes with ten new ones, shown once, stored as keyed hashes bound to the user', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    at(0);
    const user = await newUser();
    const other = await newUser();
    const theirs = await replaceRecoveryCodes(em(), stack.box, other.id);
    const old = await replaceRecoveryCodes(em(), stack.box, user.id);
    const codes = await replaceRecoveryCodes(em(), stack.box, user.id);
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}$/);
    const rows = await em().find(RecoveryCode, { user: user.id });
    expect(rows).toHaveLength(10);
    const expected = codes.map((c) => hashRecoveryCode(stack.box, user.id, normaliseRecoveryCode(c)!));
    expect(rows.map((r) => r.codeHash).sort()).toEqual(expected.sort());
    for (const r of rows) {
      expect(r.createdAt).toEqual(T0);
      expect(r.usedAt).toBeNull();
      expect(r.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    const stored = rows.map((r) => r.codeHash).join(' ');
    for (const code of [...codes, ...old]) {
      const normalised = normaliseRecoveryCode(code)!;
      expect(stored).not.toContain(normalised);
      expect(stored).not.toContain(legacyRecoveryCodeHash(normalised));
    }
    // The old codes are gone; the other user's are untouched.
    expect(await em().count(RecoveryCode, { user: other.id })).toBe(theirs.length);
    // Bound to the user: the same code under another user is another hash.
    const one = normaliseRecoveryCode(codes[0]!)!;
    expect(hashRecoveryCode(stack.box, other.id, one)).not.toBe(hashRecoveryCode(stack.box, user.id, one));
    expect(hashRecoveryCode(stack.box, user.id, one)).toMatch(/^[0-9a-f]{64}$|^[A-Za-z0-9_-]{43}$/);
    expect(hashRecoveryCode(new SecretBox(`${STACK_SECRET}-other`), user.id, one)).not.toBe(
      hashRecoveryCode(stack.box, user.id, one),
    );
  });

  it('normalises case, spaces and dashes, and refuses anything that cannot be a code', () => {
    expect(normaliseRecoveryCode('ABCD-EFGH-JKMN')).toBe('abcdefghjkmn');
    expect(normaliseRecoveryCode(' abcd efgh  jkmn ')).toBe('abcdefghjkmn');
    expect(normaliseRecoveryCode('abcd--efgh-\tjkmn')).toBe('abcdefghjkmn');
    expect(normaliseRecoveryCode('abcd-efgh-jkm')).toBeNull();
    expect(normaliseRecoveryCode('abcd-efgh-jkmnp')).toBeNull();
    // The look-alikes are not in the alphabet.
    for (const c of ['0', '1', 'l', 'o', '_', '.'])
      expect(normaliseRecoveryCode(`abcd-efgh-jkm${c}`)).toBeNull();
    expect(normaliseRecoveryCode('2345-6789-wxyz')).toBe('23456789wxyz');
  });

  it('hashes with the current and the previous AUTH_SECRET while it is rotated, current first', () => {
    const rotated = new SecretBox(`${STACK_SECRET}-new`, STACK_SECRET);
    const candidates = recoveryCodeHashCandidates(rotated, 'user-1', 'abcdefghjkmn');
    expect(candidates).toEqual([
      hashRecoveryCode(rotated, 'user-1', 'abcdefghjkmn'),
      hashRecoveryCode(stack.box, 'user-1', 'abcdefghjkmn'),
    ]);
    expect(legacyRecoveryCodeHash('abcdefghjkmn')).toBe(sha256Hex('abcdefghjkmn'));
  });
});
