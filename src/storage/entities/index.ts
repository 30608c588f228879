import { AuditEvent } from './audit-event.entity.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Session } from './session.entity.js';
import { SigningKey } from './signing-key.entity.js';
import { User } from './user.entity.js';

export { AuditEvent, RefreshToken, Session, SigningKey, User };

export const entities = [User, Session, RefreshToken, SigningKey, AuditEvent];
