import type { RateLimitRule } from '../config.js';
import { FLOWS, isUnlimited } from '../flows.js';
import type { FlowEntry } from '../flows.js';

/**
 * Rate limits, keyed by Mutation field name (each flow names its own in src/flows.ts). A field named here gets the
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

/** The limited mutations, from the flows registry (src/flows.ts), where each flow names its rule. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, FieldRateLimits>> = Object.freeze(
  Object.fromEntries(
    Object.entries(FLOWS as Record<string, FlowEntry>).flatMap(([field, flow]) =>
      isUnlimited(flow.rateLimit) ? [] : [[field, flow.rateLimit]],
    ),
  ),
);

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
