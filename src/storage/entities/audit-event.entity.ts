import { randomUUID } from 'node:crypto';
import { Entity, Index, OptionalProps, PrimaryKey, Property, DateTimeType } from '@mikro-orm/core';

/**
 * One security event, append-only (the database refuses UPDATE and DELETE on the table).
 * `userId` is a plain column, not a foreign key: the trail must outlive what it describes.
 */
@Entity({ tableName: 'audit_events' })
@Index({ properties: ['userId', 'createdAt', 'id'] })
@Index({ properties: ['createdAt', 'id'] })
export class AuditEvent {
  [OptionalProps]?: 'createdAt' | 'userId' | 'sessionId' | 'ip' | 'userAgent' | 'actor' | 'detail';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** `sign_in`, `sign_out`, `password_reset`, … (any SecurityEventKind, so new flows need no migration). */
  @Property({ type: 'string', length: 48 })
  kind!: string;

  @Property({ type: 'string', length: 16 })
  result!: string;

  @Property({ type: 'uuid', nullable: true })
  userId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  sessionId: string | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  ip: string | null = null;

  @Property({ type: 'string', length: 512, nullable: true })
  userAgent: string | null = null;

  /** Who acted on `userId`: `user:<id>` (an administrator) or `key:<id>` (an API key); null = the user or the system. */
  @Property({ type: 'string', length: 48, nullable: true })
  actor: string | null = null;

  /** A short, non-secret detail: a disable reason, an API key's name. Never an address or a secret. */
  @Property({ type: 'string', length: 200, nullable: true })
  detail: string | null = null;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();
}
