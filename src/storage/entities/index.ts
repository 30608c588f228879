import { ApiKey } from './api-key.entity.js';
import { MfaChallenge } from './mfa-challenge.entity.js';
import { RecoveryCode } from './recovery-code.entity.js';
import { MailOutboxEntry } from './mail-outbox.entity.js';
import { OneTimeToken } from './one-time-token.entity.js';
import { Passkey, PasskeyChallenge } from './passkey.entity.js';
import { AuditEvent } from './audit-event.entity.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Session } from './session.entity.js';
import { SigningKey } from './signing-key.entity.js';
import { User } from './user.entity.js';
import { Identity, OAuthCode, OAuthRequest } from './identity.entity.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookEndpoint } from './webhook-endpoint.entity.js';

export {
  ApiKey,
  AuditEvent,
  MailOutboxEntry,
  MfaChallenge,
  OneTimeToken,
  Passkey,
  PasskeyChallenge,
  RecoveryCode,
  RefreshToken,
  Session,
  SigningKey,
  User,
  Identity,
  OAuthRequest,
  OAuthCode,
  WebhookDelivery,
  WebhookEndpoint,
};
export type { WebhookDeliveryStatus } from './webhook-delivery.entity.js';
export type { OneTimeTokenPurpose } from './one-time-token.entity.js';
export type { PasskeyChallengePurpose } from './passkey.entity.js';

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
  Passkey,
  PasskeyChallenge,
  Identity,
  OAuthRequest,
  OAuthCode,
  ApiKey,
  WebhookEndpoint,
  WebhookDelivery,
];
