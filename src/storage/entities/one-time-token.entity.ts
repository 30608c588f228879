import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, DateTimeType } from '@mikro-orm/core';
import { User } from './user.entity.js';

export type OneTimeTokenPurpose =
  | 'email-verification'
  | 'password-reset'
  | 'magic-link'
  | 'mfa-recovery'
  /** changeEmail: the link mailed to the new address (payload: the new address). */
  | 'email-change'
  /** changeEmail: the undo link mailed to the old address (payload: the old address, 7 days). */
  | 'email-change-undo';

/**
 * Tokens sent by email (verification, password reset, magic link), by SHA-256 hash only: a
 * leaked table gives no usable link. Each is bound to one user and one purpose and is used once.
 */
@Entity({ tableName: 'one_time_tokens' })
@Index({ properties: ['user', 'purpose'] })
export class OneTimeToken {
  [OptionalProps]?: 'createdAt' | 'usedAt' | 'payload';

  @PrimaryKey({ type: 'string', length: 64 })
  tokenHash!: string;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'string', length: 32 })
  purpose!: OneTimeTokenPurpose;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType })
  expiresAt!: Date;

  /** Set once, atomically, by the request that used the token. */
  @Property({ type: DateTimeType, nullable: true })
  usedAt: Date | null = null;

  /** What the link acts on (JSON: an address of changeEmail); never a secret. */
  @Property({ type: 'text', nullable: true })
  payload: string | null = null;
}
