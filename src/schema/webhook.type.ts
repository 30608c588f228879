import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfoType } from './audit-log.type.js';
import { DateTimeScalar } from './scalars.js';

// Lower-case names: the GraphQL values are the stored statuses (pending, delivered, failed).
export enum WebhookDeliveryStatusEnum {
  pending = 'pending',
  delivered = 'delivered',
  failed = 'failed',
}

registerEnumType(WebhookDeliveryStatusEnum, {
  name: 'WebhookDeliveryStatus',
  description:
    'pending: waiting or backing off; delivered: a 2xx answer; failed: 3 days without one (or its endpoint disabled).',
});

@ObjectType('WebhookEndpoint', {
  description: 'Where Plinto POSTs signed events (Standard Webhooks). Admins only.',
})
export class WebhookEndpointType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  url!: string;

  @Field(() => [String], {
    description: 'Subscribed event types (user.created, session.revoked, …; see the README).',
  })
  events!: string[];

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => Boolean, {
    description: 'False once disabled, by an admin or after 3 days of failed deliveries.',
  })
  enabled!: boolean;

  @Field(() => DateTimeScalar, { nullable: true })
  disabledAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'admin, or failing (3 days of failed deliveries).' })
  disabledReason!: string | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'Until then the previous secret signs too (a second signature), after a rotation.',
  })
  previousSecretExpiresAt!: Date | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;
}

@ObjectType('WebhookEndpointSecret', {
  description: 'An endpoint and its signing secret (whsec_…), shown this once: store it now.',
})
export class WebhookEndpointSecretType {
  @Field(() => WebhookEndpointType)
  endpoint!: WebhookEndpointType;

  @Field(() => String)
  secret!: string;
}

@ObjectType('WebhookDelivery', { description: 'One event for one endpoint, and how its delivery went.' })
export class WebhookDeliveryType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  endpointId!: string;

  @Field(() => ID, {
    description: 'The webhook-id header: the same on every attempt. Receivers de-duplicate by it.',
  })
  eventId!: string;

  @Field(() => String)
  eventType!: string;

  @Field(() => WebhookDeliveryStatusEnum)
  status!: WebhookDeliveryStatusEnum;

  @Field(() => Int)
  attempts!: number;

  @Field(() => DateTimeScalar, { nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  lastAttemptAt!: Date | null;

  @Field(() => Int, { nullable: true })
  lastStatusCode!: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Why the last attempt failed (http 500, timed out, …).',
  })
  lastError!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  deliveredAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  failedAt!: Date | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

@ObjectType('WebhookDeliveryEdge')
export class WebhookDeliveryEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => WebhookDeliveryType)
  node!: WebhookDeliveryType;
}

@ObjectType('WebhookDeliveryConnection')
export class WebhookDeliveryConnectionType {
  @Field(() => [WebhookDeliveryEdgeType])
  edges!: WebhookDeliveryEdgeType[];

  @Field(() => [WebhookDeliveryType])
  nodes!: WebhookDeliveryType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}
