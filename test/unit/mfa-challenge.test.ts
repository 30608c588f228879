import { generateSync } from 'otplib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  MAX_CHALLENGE_ATTEMPTS,
  MfaChallengeIssuer,
  MfaChallengeService,
} from '../../src/auth/mfa-challenge.service.js';
import { replaceRecoveryCodes } from '../../src/auth/recovery-codes.js';
import { SecondFactorService, TOTP_SEAL_PURPOSE } from '../../src/auth/second-factor.service.js';
import type { CompleteSignIn } from '../../src/auth/sign-in/complete-sign-in.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { SecurityEvents } from '../../src/observability/security-events.js';
import { sha256Hex } from '../../src/security/crypto.js';
import { Totp } from '../../src/security/totp.js';
import { MfaChallenge, User } from '../../src/storage/entities/index.js';
import { insertUser, openSecurityStack } from '../helpers/security-stack.js';
import type { SecurityStack } from '../helpers/security-stack.js';

/**
 * The second step of a sign-in (src/auth/mfa-challenge.service.ts) on a real database, the real
 * second-factor check and a fake clock: the challenge stored as a hash with its lifetime, five
 * codes per challenge, a single use, and the amr the proof carries. Fast enough for Stryker.
 */
const T0 = new Date('2026-12-01T10:00:15.000Z');
const at = (seconds: number) => vi.setSystemTime(new Date(T0.getTime() + seconds * 1000));
const TTL = 300;
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const CLIENT = { ip: '203.0.113.7', userAgent: 'test' };
const code = () => generateSync({ secret: SECRET, epoch: Math.floor(Date.now() / 1000) });
const wrong = () => String((Number(code()) + 1) % 1_000_000).padStart(6, '0');

let stack: SecurityStack;
let factors: SecondFactorService;
let n = 0;
beforeAll(async () => {
  stack = await openSecurityStack('sqlite');
  factors = new SecondFactorService(
    stack.box,
    new Totp('Plinto test'),
    new SecurityEvents([], createLogger('silent'), new Metrics()),
  );
});
afterAll(async () => {
  await stack?.close();
});
afterEach(() => {
  vi.useRealTimers();
});
const em = () => stack.orm.em.fork();
const issuer = () => new MfaChallengeIssuer(TTL, factors);
// prove() is what the sign-in completion calls; the completion itself is tested with the flows.
const service = () => new MfaChallengeService(factors, null as unknown as CompleteSignIn);

/** A user with TOTP on, and a challenge for them after a first factor of `amr`. */
async function challenged(amr: string[] = ['pwd']) {
  vi.useFakeTimers({ toFake: ['Date'] });
  at(0);
  const profile = await insertUser(stack.orm, `mfa-${++n}@example.com`);
  await em().nativeUpdate(
    User,
    { id: profile.id },
    { totpEnabledAt: new Date(), totpSecretEncrypted: stack.box.seal(TOTP_SEAL_PURPOSE, SECRET) },
  );
  const issued = await issuer().create(em(), profile, amr);
  return { userId: profile.id, token: issued.challengeToken, issued };
}
const row = (token: string) => em().findOneOrFail(MfaChallenge, { tokenHash: sha256Hex(token) });

describe('MFA challenges', () => {
  it('stores the challenge as a hash only, with the first factor, its lifetime and no attempts', async () => {
    const { userId, token, issued } = await challenged(['pwd']);
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(issued.expiresAt.getTime()).toBe(T0.getTime() + TTL * 1000);
    const stored = await row(token);
    expect(stored.tokenHash).toBe(sha256Hex(token));
    expect(stored.tokenHash).not.toContain(token);
    expect(stored.amr).toBe('pwd');
    expect(stored.attempts).toBe(0);
    expect(stored.consumedAt).toBeNull();
    expect(stored.createdAt.getTime()).toBe(T0.getTime());
    expect(stored.expiresAt.getTime()).toBe(T0.getTime() + TTL * 1000);
    expect(
      (await em().findOneOrFail(MfaChallenge, { tokenHash: sha256Hex(token) }, { populate: ['user'] })).user
        .id,
    ).toBe(userId);
    // Two challenges never share a token.
    const other = await issuer().create(em(), { id: userId }, ['email', 'pwd']);
    expect(other.challengeToken).not.toBe(token);
    expect((await row(other.challengeToken)).amr).toBe('email,pwd');
  });

  it('lifts the 10-in-a-row factor lock on a fresh primary sign-in', async () => {
    const { userId } = await challenged();
    await em().nativeUpdate(User, { id: userId }, { factorFailures: 12, factorFailureBase: 0 });
    await issuer().create(em(), { id: userId }, ['pwd']);
    expect((await em().findOneOrFail(User, userId)).factorFailureBase).toBe(12);
  });

  it('proves the first factor plus otp and mfa with a right code, once', async () => {
    const { userId, token } = await challenged(['pwd']);
    at(TTL - 1);
    const proof = await service().prove(em(), { challengeToken: token, code: code() }, CLIENT);
    expect(proof).toMatchObject({ kind: 'proven', userId, amr: ['pwd', 'otp', 'mfa'] });
    // The proof carries the loaded account (the completion reads its address and roles from it).
    expect(proof.kind === 'proven' && proof.user?.email).toBe(`mfa-${n}@example.com`);
    expect(service().name).toBe('mfa-code');
    expect(service().auditKind).toBe('mfa');
    expect((await row(token)).consumedAt?.getTime()).toBe(new Date().getTime());
    expect(await service().prove(em(), { challengeToken: token, code: code() }, CLIENT)).toEqual({
      kind: 'invalid-token',
    });
  });

  it('names a recovery code as such in the amr, and leaves out empty and repeated factors', async () => {
    const { userId, token } = await challenged(['', 'mfa']);
    const [recovery] = await replaceRecoveryCodes(em(), stack.box, userId);
    const proof = await service().prove(em(), { challengeToken: token, code: recovery! }, CLIENT);
    expect(proof).toMatchObject({ kind: 'proven', userId, amr: ['mfa', 'recovery-code'] });
  });

  it('refuses a wrong code with the account, counting the attempt, and ends the challenge after five', async () => {
    const { userId, token } = await challenged();
    for (let i = 1; i <= MAX_CHALLENGE_ATTEMPTS; i += 1) {
      expect(await service().prove(em(), { challengeToken: token, code: wrong() }, CLIENT)).toEqual({
        kind: 'invalid-code',
        audit: 'failure',
        accountId: userId,
      });
      expect((await row(token)).attempts).toBe(i);
    }
    expect(await service().prove(em(), { challengeToken: token, code: code() }, CLIENT)).toEqual({
      kind: 'challenge-ended',
      audit: 'rejected',
      accountId: userId,
    });
    expect((await row(token)).consumedAt).toBeNull();
  });

  it('accepts the right code on the fifth attempt', async () => {
    const { userId, token } = await challenged();
    for (let i = 1; i < MAX_CHALLENGE_ATTEMPTS; i += 1) {
      await service().prove(em(), { challengeToken: token, code: wrong() }, CLIENT);
    }
    expect(await service().prove(em(), { challengeToken: token, code: code() }, CLIENT)).toMatchObject({
      kind: 'proven',
      userId,
    });
  });

  it('refuses an expired challenge, from its expiry on', async () => {
    const { token } = await challenged();
    at(TTL);
    expect(await service().prove(em(), { challengeToken: token, code: code() }, CLIENT)).toEqual({
      kind: 'invalid-token',
    });
    expect((await row(token)).attempts).toBe(0);
  });

  it('refuses junk tokens and over-long codes without counting an attempt', async () => {
    const { token } = await challenged();
    for (const junk of ['', 'x'.repeat(513), 'unknown-token']) {
      expect(await service().prove(em(), { challengeToken: junk, code: code() }, CLIENT)).toEqual({
        kind: 'invalid-token',
      });
    }
    expect(await service().prove(em(), { challengeToken: token, code: '1'.repeat(65) }, CLIENT)).toEqual({
      kind: 'invalid-code',
    });
    expect((await row(token)).attempts).toBe(0);
    // A 64-character code is checked (and counted) like any other.
    expect((await service().prove(em(), { challengeToken: token, code: '1'.repeat(64) }, CLIENT)).kind).toBe(
      'invalid-code',
    );
    expect((await row(token)).attempts).toBe(1);
  });

  it('ends the challenge when the account’s factor check is locked', async () => {
    const { userId, token } = await challenged();
    await em().nativeUpdate(User, { id: userId }, { factorFailures: 100, factorFailureBase: 100 });
    expect(await service().prove(em(), { challengeToken: token, code: code() }, CLIENT)).toEqual({
      kind: 'challenge-ended',
      audit: 'rejected',
      accountId: userId,
    });
  });

  it('accepts a challenge token of exactly 512 characters', async () => {
    const { userId, token } = await challenged();
    const long = 'z'.repeat(512);
    await em().nativeUpdate(MfaChallenge, { tokenHash: sha256Hex(token) }, { tokenHash: sha256Hex(long) });
    expect(await service().prove(em(), { challengeToken: long, code: code() }, CLIENT)).toMatchObject({
      kind: 'proven',
      userId,
    });
  });
});
