import type { RateLimitRule } from '../config.js';

/**
 * The one table of rate limits, keyed by Mutation field name. A field named here gets the
 * `@rateLimit` directive (and `@rateLimitPerAccount` when it has an account rule) automatically,
 * whichever resolver declares it. `RATE_LIMITS=signIn=5/60,signIn.account=10/60` overrides a rule.
 */
export interface FieldRateLimits {
  /** Per client IP (an IPv6 client by its /64): one client cannot hammer a flow. */
  client: RateLimitRule;
  /**
   * Per target account: the normalised email argument, else the signed-in user. Spraying one
   * account from many IPs is limited too. Never on token flows (resetPassword, verifyEmail, …):
   * an attacker must not be able to spend a victim's budget for recovering the account.
   */
  account?: RateLimitRule;
}

const MINUTE = 60;
const HOUR = 3600;
const rule = (limit: number, durationSeconds: number): RateLimitRule => ({ limit, durationSeconds });

export const DEFAULT_RATE_LIMITS: Readonly<Record<string, FieldRateLimits>> = Object.freeze({
  signUp: { client: rule(3, MINUTE), account: rule(3, HOUR) },
  signIn: { client: rule(5, MINUTE), account: rule(10, MINUTE) },
  completeMfaSignIn: { client: rule(10, MINUTE) },
  // A client refreshes every ~15 minutes; many users behind one NAT still fit.
  refreshSession: { client: rule(120, MINUTE) },
  requestEmailVerification: { client: rule(5, HOUR), account: rule(5, HOUR) },
  verifyEmail: { client: rule(10, MINUTE) },
  requestPasswordReset: { client: rule(3, HOUR), account: rule(3, HOUR) },
  resetPassword: { client: rule(10, MINUTE) },
  changePassword: { client: rule(5, MINUTE), account: rule(10, HOUR) },
  requestMagicLink: { client: rule(5, HOUR), account: rule(5, HOUR) },
  signInWithMagicLink: { client: rule(10, MINUTE) },
  beginTotpEnrollment: { client: rule(10, MINUTE) },
  confirmTotpEnrollment: { client: rule(10, MINUTE), account: rule(10, MINUTE) },
  disableTotp: { client: rule(10, MINUTE), account: rule(10, MINUTE) },
  regenerateRecoveryCodes: { client: rule(10, MINUTE), account: rule(10, MINUTE) },
});

/** Every name RATE_LIMITS accepts: `field` for the client rule, `field.account` for the account rule. */
export function rateLimitOverrideNames(): string[] {
  return Object.entries(DEFAULT_RATE_LIMITS).flatMap(([field, limits]) =>
    limits.account ? [field, `${field}.account`] : [field],
  );
}

/** The defaults with the configured overrides applied. */
export function resolveRateLimits(
  overrides: Readonly<Record<string, RateLimitRule>> = {},
): Record<string, FieldRateLimits> {
  const resolved: Record<string, FieldRateLimits> = {};
  for (const [field, limits] of Object.entries(DEFAULT_RATE_LIMITS)) {
    const account = overrides[`${field}.account`] ?? limits.account;
    resolved[field] = { client: overrides[field] ?? limits.client, ...(account ? { account } : {}) };
  }
  return resolved;
}
