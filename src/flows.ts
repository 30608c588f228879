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
  // Account integrity (issue 17): step-up. Each wrong answer also counts in the account's sign-in
  // failure counter (growing delays, then TooManyAttempts), so per-client is the limit that remains.
  reauthenticate: { rateLimit: { client: rule(5, MINUTE) }, leavesRowsIn: [] },
  // Passkeys (issue 19). Registration and management need a signed-in user (account = that user).
  beginPasskeyRegistration: {
    rateLimit: { client: rule(10, MINUTE), account: rule(20, HOUR) },
    leavesRowsIn: ['passkey_challenges'],
  },
  finishPasskeyRegistration: {
    rateLimit: { client: rule(10, MINUTE), account: rule(20, HOUR) },
    leavesRowsIn: ['passkeys', 'mail_outbox'],
  },
  renamePasskey: { rateLimit: { client: rule(20, MINUTE), account: rule(30, HOUR) }, leavesRowsIn: [] },
  removePasskey: {
    rateLimit: { client: rule(10, MINUTE), account: rule(20, HOUR) },
    leavesRowsIn: ['mail_outbox'],
  },
  // Conditional UI asks for options on every sign-in page load; the account rule applies with an email.
  beginPasskeySignIn: {
    rateLimit: { client: rule(30, MINUTE), account: rule(20, MINUTE) },
    leavesRowsIn: ['passkey_challenges'],
  },
  finishPasskeySignIn: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: SIGN_IN_ROWS },
  // issue 17b: lost-second-factor recovery. The request mails (like a reset request); the start
  // uses a one-time link; the cancel is the owner's, from any session.
  requestMfaRecovery: {
    rateLimit: { client: rule(3, HOUR), account: rule(3, HOUR) },
    leavesRowsIn: EMAILED_TOKEN_ROWS,
  },
  startMfaRecovery: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: ['mail_outbox'] },
  cancelMfaRecovery: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: ['mail_outbox'] },
  // Social sign-in (issue 20). A begin leaves a 10-minute state row; a callback (not a mutation)
  // a 60-second code; completion and native ID tokens may make a user and an identity.
  beginSocialSignIn: { rateLimit: { client: rule(20, MINUTE) }, leavesRowsIn: ['oauth_requests'] },
  completeSocialSignIn: {
    rateLimit: { client: rule(10, MINUTE) },
    leavesRowsIn: [...SIGN_IN_ROWS, 'users', 'identities', 'mail_outbox'],
  },
  signInWithIdToken: {
    rateLimit: { client: rule(10, MINUTE) },
    leavesRowsIn: [...SIGN_IN_ROWS, 'users', 'identities', 'oauth_requests', 'mail_outbox'],
  },
  linkIdentity: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: ['oauth_requests'] },
  completeLinkIdentity: {
    rateLimit: { client: rule(10, MINUTE) },
    leavesRowsIn: ['identities', 'mail_outbox'],
  },
  unlinkIdentity: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: ['mail_outbox'] },
  // Administration (issue 21): admin sessions (role + second factor) or scoped API keys, which
  // also have their own per-key limit (API_KEY_RATE_LIMIT_PER_MINUTE).
  adminCreateUser: { rateLimit: { client: rule(60, MINUTE) }, leavesRowsIn: ['users', 'mail_outbox'] },
  adminUpdateUser: { rateLimit: { client: rule(120, MINUTE) }, leavesRowsIn: [] },
  adminDisableUser: { rateLimit: { client: rule(120, MINUTE) }, leavesRowsIn: [] },
  adminEnableUser: { rateLimit: { client: rule(120, MINUTE) }, leavesRowsIn: [] },
  adminUnlockUser: { rateLimit: { client: rule(120, MINUTE) }, leavesRowsIn: [] },
  adminRevokeSessions: { rateLimit: { client: rule(120, MINUTE) }, leavesRowsIn: [] },
  adminResetMfa: { rateLimit: { client: rule(60, MINUTE) }, leavesRowsIn: ['mail_outbox'] },
  adminSendPasswordReset: { rateLimit: { client: rule(60, MINUTE) }, leavesRowsIn: ['mail_outbox'] },
  adminDeleteUser: { rateLimit: { client: rule(60, MINUTE) }, leavesRowsIn: ['mail_outbox'] },
  createApiKey: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: ['api_keys'] },
  revokeApiKey: { rateLimit: { client: rule(60, MINUTE) }, leavesRowsIn: [] },
  updateProfile: { rateLimit: { client: rule(30, MINUTE) }, leavesRowsIn: [] },
  deleteAccount: { rateLimit: { client: rule(5, MINUTE) }, leavesRowsIn: ['mail_outbox'] },
  // changeEmail: step-up; two mails per request (the links' tokens are issued at send time).
  changeEmail: {
    rateLimit: { client: rule(5, MINUTE), account: rule(5, HOUR) },
    leavesRowsIn: EMAILED_TOKEN_ROWS,
  },
  confirmEmailChange: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: [] },
  undoEmailChange: { rateLimit: { client: rule(10, MINUTE) }, leavesRowsIn: ['mail_outbox'] },
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
 * (`users` is swept since issue 17: only accounts never verified under SIGNUP_MODE=verify-first,
 * after UNVERIFIED_ACCOUNT_LIFETIME_SECONDS; verified accounts are never swept.)
 *
 * Tables the expired-row sweeper never touches, and why. Every other table a flow leaves rows in
 * must be swept (src/storage/expired-row-sweeper.ts), or it grows forever.
 */
export const KEPT_TABLES: Readonly<Record<string, string>> = Object.freeze({
  audit_events: 'append-only history (the database refuses deletes)',
  recovery_codes: 'live until regenerated or until two-step verification is turned off',
  signing_keys: 'the JWKS history (retired keys stay to explain old tokens)',
  passkeys: 'live until the user removes them (or the account goes)',
  identities: 'linked social sign-in accounts, until unlinked (or the user is deleted)',
  webhook_endpoints: 'admin-managed configuration, deleted by deleteWebhookEndpoint',
});

export function isUnlimited(rateLimit: FlowEntry['rateLimit']): rateLimit is { unlimited: string } {
  return 'unlimited' in rateLimit;
}
