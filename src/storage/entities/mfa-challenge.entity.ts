import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, DateTimeType } from '@mikro-orm/core';
import { User } from './user.entity.js';

/**
 * A sign-in waiting for its second factor. The opaque challenge token is stored only as its
 * SHA-256 hash, so a leaked table cannot be used to finish anybody's sign-in.
 */
@Entity({ tableName: 'mfa_challenges' })
@Index({ properties: ['user', 'createdAt'] })
export class MfaChallenge {
  [OptionalProps]?: 'createdAt' | 'attempts' | 'consumedAt';

  @PrimaryKey({ type: 'string', length: 64 })
  tokenHash!: string;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user!: User;

  /** The methods of the first factor (`pwd`, `email`), comma-separated. */
  @Property({ type: 'string', length: 64 })
  amr!: string;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType })
  expiresAt!: Date;

  /** Codes tried so far (right or wrong); claimed atomically before a code is checked. */
  @Property({ type: 'integer' })
  attempts: number = 0;

  /** Set once, atomically, by the attempt that finished the sign-in. */
  @Property({ type: DateTimeType, nullable: true })
  consumedAt: Date | null = null;
}
