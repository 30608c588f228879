import { randomUUID } from 'node:crypto';
import { Entity, Index, OptionalProps, PrimaryKey, Property, DateTimeType } from '@mikro-orm/core';

/**
 * Mail waiting to be delivered. A request only writes a row here (never talks to SMTP); the
 * sender composes and delivers it, with retries, so an SMTP outage delays mail but loses none.
 */
@Entity({ tableName: 'mail_outbox' })
@Index({ properties: ['nextAttemptAt'] })
export class MailOutboxEntry {
  [OptionalProps]?:
    | 'createdAt'
    | 'message'
    | 'attempts'
    | 'nextAttemptAt'
    | 'lockedUntil'
    | 'lockId'
    | 'lastError'
    | 'failedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** What to send (`password-reset`, `magic-link`, …): the job, before it is composed. */
  @Property({ type: 'string', length: 32 })
  kind!: string;

  /** The job's input (recipient or user id), sealed with AUTH_SECRET: addresses are personal data. */
  @Property({ type: 'text' })
  payload!: string;

  /** The composed mail, sealed with AUTH_SECRET: it carries a live token until it is sent. */
  @Property({ type: 'text', nullable: true })
  message: string | null = null;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: DateTimeType })
  nextAttemptAt: Date = new Date();

  /** A sender claimed this row until then; another instance may take it over afterwards. */
  @Property({ type: DateTimeType, nullable: true })
  lockedUntil: Date | null = null;

  @Property({ type: 'string', length: 36, nullable: true })
  lockId: string | null = null;

  @Property({ type: 'string', length: 255, nullable: true })
  lastError: string | null = null;

  /** Set when the SMTP server refused the mail for good (5xx): never retried. */
  @Property({ type: DateTimeType, nullable: true })
  failedAt: Date | null = null;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();
}
