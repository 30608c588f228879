import { generateSecret, generateURI, verifySync } from 'otplib';

/** RFC 6238 defaults that every authenticator app understands: SHA-1, 6 digits, 30 s steps. */
export const TOTP_PERIOD_SECONDS = 30;
// ±1 step: a code typed just before its step ended still works, nothing older or newer does.
const TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;
const SECRET_BYTES = 20;

/** Spaces are how apps show codes ("123 456"); they are not part of the code. */
export function normaliseTotpCode(input: string): string | null {
  const code = input.replace(/\s+/g, '');
  // Inline, not a module constant: a constant is a static mutant, which the mutation run cannot activate.
  return /^\d{6}$/.test(code) ? code : null;
}

/** TOTP (otplib 13) behind the three operations the flows need. */
export class Totp {
  constructor(private readonly issuer: string) {}

  /** 160 random bits, Base32 (RFC 4226 recommends at least 128). */
  newSecret(): string {
    return generateSecret({ length: SECRET_BYTES });
  }

  uri(secret: string, account: string): string {
    return generateURI({ issuer: this.issuer, label: account, secret, period: TOTP_PERIOD_SECONDS });
  }

  /**
   * The time step the code belongs to, or null. Steps at or before `afterStep` are refused:
   * a code once accepted stays refused for the rest of its window (replay). The caller must
   * still record the step atomically, so that two concurrent uses cannot both pass.
   */
  matchStep(secret: string, code: string, afterStep: number | null, now = Date.now()): number | null {
    const normalised = normaliseTotpCode(code);
    if (!normalised) return null;
    const result = verifySync({
      secret,
      token: normalised,
      period: TOTP_PERIOD_SECONDS,
      epoch: Math.floor(now / 1000),
      epochTolerance: TOLERANCE_SECONDS,
      ...(afterStep !== null ? { afterTimeStep: afterStep } : {}),
    });
    // The functional verify is typed for HOTP and TOTP alike; only TOTP results carry the step.
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  }
}
