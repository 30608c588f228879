import { generateSync } from 'otplib';
import { describe, expect, it } from 'vitest';
import { normaliseRecoveryCode } from '../../src/auth/recovery-codes.js';
import { normaliseTotpCode, Totp } from '../../src/security/totp.js';

// A fixed clock, 10 s into step 59_866_700: no test here depends on the real time.
const NOW_MS = (59_866_700 * 30 + 10) * 1000;
const STEP = 59_866_700;

describe('Totp.matchStep', () => {
  const totp = new Totp('Plinto');
  const secret = totp.newSecret();
  const codeAt = (offsetSeconds: number) => generateSync({ secret, epoch: NOW_MS / 1000 + offsetSeconds });

  it('accepts the current step and one step either side, with the step it matched', () => {
    expect(totp.matchStep(secret, codeAt(0), null, NOW_MS)).toBe(STEP);
    expect(totp.matchStep(secret, codeAt(-30), null, NOW_MS)).toBe(STEP - 1);
    expect(totp.matchStep(secret, codeAt(30), null, NOW_MS)).toBe(STEP + 1);
  });

  it('refuses codes two steps away', () => {
    expect(totp.matchStep(secret, codeAt(-60), null, NOW_MS)).toBeNull();
    expect(totp.matchStep(secret, codeAt(60), null, NOW_MS)).toBeNull();
  });

  it('refuses a step at or before the last accepted one (replay)', () => {
    expect(totp.matchStep(secret, codeAt(0), STEP, NOW_MS)).toBeNull();
    expect(totp.matchStep(secret, codeAt(-30), STEP - 1, NOW_MS)).toBeNull();
    expect(totp.matchStep(secret, codeAt(30), STEP, NOW_MS)).toBe(STEP + 1);
  });

  it('ignores spaces and refuses what is not six digits', () => {
    const code = codeAt(0);
    expect(totp.matchStep(secret, `${code.slice(0, 3)} ${code.slice(3)}`, null, NOW_MS)).toBe(STEP);
    expect(normaliseTotpCode('12345')).toBeNull();
    expect(normaliseTotpCode('12345a')).toBeNull();
  });

  it('builds an otpauth URI with issuer and account', () => {
    const uri = new URL(totp.uri(secret, 'ada@example.com'));
    expect(decodeURIComponent(uri.pathname)).toBe('/Plinto:ada@example.com');
    expect(uri.searchParams.get('issuer')).toBe('Plinto');
    expect(uri.searchParams.get('secret')).toBe(secret);
  });
});

describe('normaliseRecoveryCode', () => {
  it('ignores case, spaces and dashes, and refuses anything else', () => {
    expect(normaliseRecoveryCode(' ABCD-efgh-2345 ')).toBe('abcdefgh2345');
    expect(normaliseRecoveryCode('abcd efgh 2345')).toBe('abcdefgh2345');
    expect(normaliseRecoveryCode('abcd-efgh-234')).toBeNull();
    expect(normaliseRecoveryCode('abcd-efgh-2341')).toBeNull(); // '1' is not in the alphabet
    expect(normaliseRecoveryCode('123456')).toBeNull();
  });
});
