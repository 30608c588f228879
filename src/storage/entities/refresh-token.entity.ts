import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, DateTimeType } from '@mikro-orm/core';
import { Session } from './session.entity.js';

/**
 * Every refresh token ever issued, by SHA-256 hash only: a leaked database gives no usable
 * token, and a rotated token stays recognisable so that presenting it again is detected as reuse.
 */
@Entity({ tableName: 'refresh_tokens' })
@Index({ properties: ['session'] })
export class RefreshToken {
  [OptionalProps]?: 'createdAt' | 'rotatedAt';

  @PrimaryKey({ type: 'string', length: 64 })
  tokenHash!: string;

  @ManyToOne({ entity: () => Session, deleteRule: 'cascade' })
  session!: Session;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType })
  expiresAt!: Date;

  /** Set once, atomically, by the refresh that consumed this token. */
  @Property({ type: DateTimeType, nullable: true })
  rotatedAt: Date | null = null;
}
