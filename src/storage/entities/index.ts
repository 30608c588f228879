import { MfaChallenge } from './mfa-challenge.entity.js';
import { RecoveryCode } from './recovery-code.entity.js';
import { MailOutboxEntry } from './mail-outbox.entity.js';
import { OneTimeToken } from './one-time-token.entity.js';
import { AuditEvent } from './audit-event.entity.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Session } from './session.entity.js';
import { SigningKey } from './signing-key.entity.js';
import { User } from './user.entity.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookEndpoint } from './webhook-endpoint.entity.js';

export {
  AuditEvent,
  MailOutboxEntry,
  MfaChallenge,
  OneTimeToken,
  RecoveryCode,
  RefreshToken,
  Session,
  SigningKey,
  User,
  WebhookDelivery,
  WebhookEndpoint,
};
export type { WebhookDeliveryStatus } from './webhook-delivery.entity.js';
export type { OneTimeTokenPurpose } from './one-time-token.entity.js';

export const entities = [
  User,
  Session,
  RefreshToken,
  SigningKey,
  OneTimeToken,
  MailOutboxEntry,
  RecoveryCode,
  MfaChallenge,
  AuditEvent,
  WebhookEndpoint,
  WebhookDelivery,
];
