import { randomUUID } from 'node:crypto';
import {
  Entity,
  ManyToOne,
  OptionalProps,
  PrimaryKey,
  Property,
  Unique,
  DateTimeType,
} from '@mikro-orm/core';
import { User } from './user.entity.js';

/**
 * One-time recovery codes, stored only as a keyed hash (HMAC-SHA256 under a key derived from
 * AUTH_SECRET, bound to the user: see recovery-codes.ts). Each code is 60 random bits shown once:
 * with the key, a leaked table yields nothing searchable, and no password-style stretching is needed.
 */
@Entity({ tableName: 'recovery_codes' })
@Unique({ properties: ['user', 'codeHash'] })
export class RecoveryCode {
  [OptionalProps]?: 'createdAt' | 'usedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'string', length: 64 })
  codeHash!: string;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  /** Set once, atomically, by the sign-in or mutation that spent this code. */
  @Property({ type: DateTimeType, nullable: true })
  usedAt: Date | null = null;
}
