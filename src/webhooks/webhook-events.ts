/**
 * The events Plinto sends to webhook endpoints, and the schema of each payload. A payload is the
 * JSON body of the POST: `{ type, version, id, timestamp, data }`. `version` is the version of
 * `data`'s schema for that `type`; a change that removes or retypes a field raises it (fields may
 * be added within a version). Payloads carry ids, times and what a receiver needs to act, and
 * never a password hash, a token, a TOTP secret or a recovery code (test/integration/webhooks.test.ts
 * scans every payload it receives for them). The README documents each one.
 */

/** Who or what did it, as far as Plinto knows: the client's address and user agent. */
export interface WebhookActor {
  ip: string | null;
  userAgent: string | null;
}

export interface WebhookEventData {
  'user.created': { userId: string; email: string; emailVerified: boolean; createdAt: string };
  'user.email_verified': { userId: string; email: string; verifiedAt: string };
  /** The fields that changed, by name (their new values where they are not secret). */
  'user.updated': { userId: string; changed: string[]; email?: string; updatedAt: string };
  'user.deleted': { userId: string; deletedAt: string };
  'user.disabled': { userId: string; disabledAt: string; byUserId: string | null };
  'user.enabled': { userId: string; enabledAt: string; byUserId: string | null };
  /** Too many failed sign-ins: sign-in is refused until `lockedUntil` (or a password reset). */
  'user.locked': { userId: string; lockedAt: string; lockedUntil: string };
  'session.created': {
    userId: string;
    sessionId: string;
    amr: string[];
    createdAt: string;
    expiresAt: string;
    ip: string | null;
    userAgent: string | null;
  };
  /** reason: sign-out, sign-out-everywhere, revoked, password-changed, password-reset, refresh-reuse, … */
  'session.revoked': { userId: string; sessionIds: string[]; reason: string; revokedAt: string };
  'password.changed': { userId: string; changedAt: string; firstPassword: boolean };
  'password.reset': { userId: string; resetAt: string };
  'mfa.enabled': { userId: string; method: 'totp'; enabledAt: string };
  'mfa.disabled': { userId: string; method: 'totp'; disabledAt: string };
  'passkey.added': { userId: string; passkeyId: string; name: string | null; addedAt: string };
  'passkey.removed': { userId: string; passkeyId: string; removedAt: string };
  'identity.linked': { userId: string; provider: string; identityId: string; linkedAt: string };
  'identity.unlinked': { userId: string; provider: string; identityId: string; unlinkedAt: string };
}

export type WebhookEventType = keyof WebhookEventData;

/** Schema version of each event's `data` (raise it on a breaking change, document both). */
export const WEBHOOK_EVENT_VERSIONS: Readonly<Record<WebhookEventType, number>> = Object.freeze({
  'user.created': 1,
  'user.email_verified': 1,
  'user.updated': 1,
  'user.deleted': 1,
  'user.disabled': 1,
  'user.enabled': 1,
  'user.locked': 1,
  'session.created': 1,
  'session.revoked': 1,
  'password.changed': 1,
  'password.reset': 1,
  'mfa.enabled': 1,
  'mfa.disabled': 1,
  'passkey.added': 1,
  'passkey.removed': 1,
  'identity.linked': 1,
  'identity.unlinked': 1,
});

export const WEBHOOK_EVENT_TYPES = Object.keys(WEBHOOK_EVENT_VERSIONS) as WebhookEventType[];

/** The test event `sendTestWebhook` sends; endpoints need not subscribe to it. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** What a flow hands to `webhooks.emit`: one event type and its data. */
export type WebhookEvent = {
  [T in WebhookEventType]: { type: T; data: WebhookEventData[T] };
}[WebhookEventType];

/** The body a receiver gets. `id` is also the `webhook-id` header: de-duplicate by it. */
export interface WebhookPayload {
  type: WebhookEventType | typeof TEST_EVENT_TYPE;
  version: number;
  id: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export function isWebhookEventType(value: string): value is WebhookEventType {
  return Object.hasOwn(WEBHOOK_EVENT_VERSIONS, value);
}

/**
 * Keys that must never appear in a payload, whatever the event: a last line behind the typed
 * data above (a flow passing a row by mistake is refused at emit time, in the flow's transaction).
 */
const FORBIDDEN_KEY = /hash|token|secret|recovery|code|totp|^password$/i;

export function assertNoSecrets(data: unknown, path = 'data'): void {
  if (data === null || typeof data !== 'object') return;
  for (const [key, value] of Object.entries(data)) {
    if (FORBIDDEN_KEY.test(key)) {
      throw new Error(`webhook payload field ${path}.${key} may carry a secret`);
    }
    assertNoSecrets(value, `${path}.${key}`);
  }
}
