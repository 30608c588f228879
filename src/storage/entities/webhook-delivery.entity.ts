import { randomUUID } from 'node:crypto';
import { Entity, Index, OptionalProps, PrimaryKey, Property, DateTimeType } from '@mikro-orm/core';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * One event for one endpoint: the outbox row, written in the transaction of the change that
 * caused the event. The dispatcher claims due rows with a lease (like the mail outbox), POSTs
 * them and records the outcome. The payload is sealed: it names people (ids, addresses).
 */
@Entity({ tableName: 'webhook_deliveries' })
@Index({ properties: ['status', 'nextAttemptAt'] })
@Index({ properties: ['endpointId', 'createdAt'] })
export class WebhookDelivery {
  [OptionalProps]?:
    | 'status'
    | 'attempts'
    | 'nextAttemptAt'
    | 'lockedUntil'
    | 'lockId'
    | 'lastStatusCode'
    | 'lastError'
    | 'lastAttemptAt'
    | 'deliveredAt'
    | 'failedAt'
    | 'createdAt'
    | 'queuedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  endpointId!: string;

  /** The event's id: the `webhook-id` header, the same on every attempt and for every endpoint. */
  @Property({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'string', length: 64 })
  eventType!: string;

  /** The JSON body, sealed with AUTH_SECRET. */
  @Property({ type: 'text' })
  payload!: string;

  @Property({ type: 'string', length: 16 })
  status: WebhookDeliveryStatus = 'pending';

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: DateTimeType })
  nextAttemptAt: Date = new Date();

  /** A dispatcher claimed this row until then; another replica may take it over afterwards. */
  @Property({ type: DateTimeType, nullable: true })
  lockedUntil: Date | null = null;

  @Property({ type: 'string', length: 36, nullable: true })
  lockId: string | null = null;

  @Property({ type: 'integer', nullable: true })
  lastStatusCode: number | null = null;

  @Property({ type: 'string', length: 255, nullable: true })
  lastError: string | null = null;

  @Property({ type: DateTimeType, nullable: true })
  lastAttemptAt: Date | null = null;

  @Property({ type: DateTimeType, nullable: true })
  deliveredAt: Date | null = null;

  @Property({ type: DateTimeType, nullable: true })
  failedAt: Date | null = null;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  /** When the delivery was (re)queued: its retry window (3 days) counts from here. */
  @Property({ type: DateTimeType })
  queuedAt: Date = new Date();
}
