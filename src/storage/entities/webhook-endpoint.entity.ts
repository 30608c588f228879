import { randomUUID } from 'node:crypto';
import { Entity, OptionalProps, PrimaryKey, Property, DateTimeType } from '@mikro-orm/core';

/**
 * Where events are sent (admin-managed). The signing secret is sealed with AUTH_SECRET; after a
 * rotation the previous one keeps signing (a second signature) until `previousSecretRetiredAt`.
 */
@Entity({ tableName: 'webhook_endpoints' })
export class WebhookEndpoint {
  [OptionalProps]?:
    | 'description'
    | 'previousSecret'
    | 'previousSecretRetiredAt'
    | 'disabledAt'
    | 'disabledReason'
    | 'failingSince'
    | 'createdAt'
    | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 2048 })
  url!: string;

  /** Subscribed event types, comma-separated (`user.created,session.created`). */
  @Property({ type: 'text' })
  events!: string;

  @Property({ type: 'string', length: 500, nullable: true })
  description: string | null = null;

  /** The whsec_ secret, sealed. */
  @Property({ type: 'text' })
  secret!: string;

  @Property({ type: 'text', nullable: true })
  previousSecret: string | null = null;

  /** The previous secret signs too until then (24 h after a rotation). */
  @Property({ type: DateTimeType, nullable: true })
  previousSecretRetiredAt: Date | null = null;

  @Property({ type: DateTimeType, nullable: true })
  disabledAt: Date | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  disabledReason: string | null = null;

  /** The first failed attempt since the last success; 3 days of nothing but failures disables the endpoint. */
  @Property({ type: DateTimeType, nullable: true })
  failingSince: Date | null = null;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType })
  updatedAt: Date = new Date();
}
