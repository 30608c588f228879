import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, DateTimeType } from '@mikro-orm/core';
import { User } from './user.entity.js';

@Entity({ tableName: 'sessions' })
@Index({ properties: ['user', 'revokedAt'] })
export class Session {
  [OptionalProps]?:
    | 'createdAt'
    | 'lastUsedAt'
    | 'authenticatedAt'
    | 'revokedAt'
    | 'revokedReason'
    | 'ip'
    | 'userAgent'
    | 'rotationCount'
    | 'graceForTokenHash'
    | 'graceUntil'
    | 'gracePairEncrypted';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user!: User;

  /** Authentication methods of this sign-in (`pwd`, `otp`, `mfa`, `email`), comma-separated. */
  @Property({ type: 'string', length: 64 })
  amr!: string;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType })
  lastUsedAt: Date = new Date();

  /**
   * The session's last primary authentication (sign-in, or `reauthenticate`): the access token's
   * `auth_time` and what step-up measures. Null only on rows older than the column (read as createdAt).
   */
  @Property({ type: DateTimeType, nullable: true })
  authenticatedAt: Date | null = null;

  @Property({ type: DateTimeType })
  expiresAt!: Date;

  @Property({ type: DateTimeType, nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: 'string', length: 32, nullable: true })
  revokedReason: string | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  ip: string | null = null;

  @Property({ type: 'string', length: 512, nullable: true })
  userAgent: string | null = null;

  /** How many times the refresh token was rotated. */
  @Property({ type: 'integer' })
  rotationCount: number = 0;

  /**
   * Grace window: the refresh token just rotated away, the time until which a duplicate
   * refresh with it gets the same new pair, and that pair (encrypted with AUTH_SECRET).
   */
  @Property({ type: 'string', length: 64, nullable: true })
  graceForTokenHash: string | null = null;

  @Property({ type: DateTimeType, nullable: true })
  graceUntil: Date | null = null;

  @Property({ type: 'text', nullable: true })
  gracePairEncrypted: string | null = null;
}
