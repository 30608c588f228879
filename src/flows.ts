import type { RateLimitRule } from './config.js';
import type { FieldRateLimits } from './security/rate-limit-rules.js';

/**
 * The one registration place of every GraphQL mutation. Adding a flow means: its method or
 * service file, its resolver, and one entry here that names its rate limit (or says `unlimited`,
 * with the reason) and the tables it leaves rows in. Tests hold the registry to the schema
 * (test/unit/flows.test.ts): a mutation without an entry fails, and so does a table with an
 * expiry column that the expired-row sweeper does not know.
 */
export interface FlowEntry {
  /** Per client IP, and per target account where one applies (see rate-limit-rules.ts). */
  rateLimit: FieldRateLimits | { unlimited: string };
  /** Tables the flow inserts rows into (every flow also appends to audit_events). */
  leavesRowsIn: readonly string[];
}

const MINUTE = 60;
const HOUR = 3600;
const rule = (limit: number, durationSeconds: number): RateLimitRule => ({ limit, durationSeconds });
const SESSION_ROWS = ['sessions', 'refresh_tokens'] as const;
/** A first factor for a user with TOTP leaves a challenge instead of a session. */
const SIGN_IN_ROWS = [...SESSION_ROWS, 'mfa_challenges'] as const;
/** The request is a mail job; the sender issues the emailed token when it sends. */
const EMAILED_TOKEN_ROWS = ['mail_outbox', 'one_time_tokens'] as const;
/** Only a signed-in session can call it, and each call ends sessions (it cannot be used to grow anything). */
const SESSION_ENDING = { unlimited: 'needs a live session and only ends sessions' };

export const FLOWS = {
  signUp: {
    rateLimit: { client: rule(3, MINUTE), account: rule(3, HOUR) },
    leavesRowsIn: ['users', ...SESSION_ROWS, 'mail_outbox'],
  },
  signIn: {
    rateLimit: { client: rule(5, MINUTE), account: rule(10, MINUTE) },
    leavesRowsIn: SIGN_IN_ROWS,
  },
  completeMfaSignIn: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: SESSION_ROWS },
  // A client refreshes every ~15 minutes; many users behind one NAT still fit.
  refreshSession: { rateLimit: { client: rule(120, MINUTE) }, leavesRowsIn: ['refresh_tokens'] },
  signOut: { rateLimit: SESSION_ENDING, leavesRowsIn: [] },
  signOutEverywhere: { rateLimit: SESSION_ENDING, leavesRowsIn: [] },
  revokeSession: { rateLimit: SESSION_ENDING, leavesRowsIn: [] },
  requestEmailVerification: {
    rateLimit: { client: rule(5, HOUR), account: rule(5, HOUR) },
    leavesRowsIn: EMAILED_TOKEN_ROWS,
  },
  verifyEmail: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: [...SIGN_IN_ROWS, 'mail_outbox'] },
  requestPasswordReset: {
    rateLimit: { client: rule(3, HOUR), account: rule(3, HOUR) },
    leavesRowsIn: EMAILED_TOKEN_ROWS,
  },
  resetPassword: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: ['mail_outbox'] },
  changePassword: {
    rateLimit: { client: rule(5, MINUTE), account: rule(10, HOUR) },
    leavesRowsIn: ['mail_outbox'],
  },
  requestMagicLink: {
    rateLimit: { client: rule(5, HOUR), account: rule(5, HOUR) },
    leavesRowsIn: EMAILED_TOKEN_ROWS,
  },
  signInWithMagicLink: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: SIGN_IN_ROWS },
  beginTotpEnrollment: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: [] },
  confirmTotpEnrollment: {
    rateLimit: { client: rule(10, MINUTE), account: rule(10, MINUTE) },
    leavesRowsIn: ['recovery_codes'],
  },
  disableTotp: { rateLimit: { client: rule(10, MINUTE), account: rule(10, MINUTE) }, leavesRowsIn: [] },
  regenerateRecoveryCodes: {
    rateLimit: { client: rule(10, MINUTE), account: rule(10, MINUTE) },
    leavesRowsIn: ['recovery_codes'],
  },
  // Webhooks (issue 22): admin-only endpoint management. Every flow above that emits an event
  // also leaves rows in webhook_deliveries (one per subscribed endpoint; swept once ended).
  createWebhookEndpoint: { rateLimit: { client: rule(20, MINUTE) }, leavesRowsIn: ['webhook_endpoints'] },
  updateWebhookEndpoint: { rateLimit: { client: rule(30, MINUTE) }, leavesRowsIn: [] },
  rotateWebhookSecret: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: [] },
  deleteWebhookEndpoint: { rateLimit: { client: rule(30, MINUTE) }, leavesRowsIn: [] },
  redeliverWebhook: { rateLimit: { client: rule(60, MINUTE) }, leavesRowsIn: ['webhook_deliveries'] },
  sendTestWebhook: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: ['webhook_deliveries'] },
} as const satisfies Record<string, FlowEntry>;

/**
 * Tables the expired-row sweeper never touches, and why. Every other table a flow leaves rows in
 * must be swept (src/storage/expired-row-sweeper.ts), or it grows forever.
 */
export const KEPT_TABLES: Readonly<Record<string, string>> = Object.freeze({
  users: 'the accounts themselves',
  audit_events: 'append-only history (the database refuses deletes)',
  recovery_codes: 'live until regenerated or until two-step verification is turned off',
  signing_keys: 'the JWKS history (retired keys stay to explain old tokens)',
  webhook_endpoints: 'admin-managed configuration, deleted by deleteWebhookEndpoint',
});

export function isUnlimited(rateLimit: FlowEntry['rateLimit']): rateLimit is { unlimited: string } {
  return 'unlimited' in rateLimit;
}
