import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../context.js';
import { BadUserInputError } from '../errors.js';
import type { WebhookDelivery, WebhookEndpoint } from '../storage/entities/index.js';
import { DELIVERIES_PAGE_MAX } from '../webhooks/webhook-endpoints.service.js';
import type { WebhookEndpointsService } from '../webhooks/webhook-endpoints.service.js';
import {
  WebhookDeliveryConnectionType,
  WebhookDeliveryStatusEnum,
  WebhookDeliveryType,
  WebhookEndpointSecretType,
  WebhookEndpointType,
} from '../schema/webhook.type.js';

function toEndpoint(endpoint: WebhookEndpoint): WebhookEndpointType {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events.split(',').filter(Boolean),
    description: endpoint.description,
    enabled: endpoint.disabledAt === null,
    disabledAt: endpoint.disabledAt,
    disabledReason: endpoint.disabledReason,
    previousSecretExpiresAt: endpoint.previousSecret ? endpoint.previousSecretRetiredAt : null,
    createdAt: endpoint.createdAt,
    updatedAt: endpoint.updatedAt,
  };
}

function toDelivery(delivery: WebhookDelivery): WebhookDeliveryType {
  return {
    id: delivery.id,
    endpointId: delivery.endpointId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    status: delivery.status as WebhookDeliveryStatusEnum,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt : null,
    lastAttemptAt: delivery.lastAttemptAt,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    deliveredAt: delivery.deliveredAt,
    failedAt: delivery.failedAt,
    createdAt: delivery.createdAt,
  };
}

const NOT_FOUND = 'No such webhook endpoint.';

/** Webhook endpoints: admins only (issue 21's role check). Arguments are declared in reverse (type-graphql lists them so). */
@Resolver()
export class WebhookResolver {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Authorized('admin')
  @Query(() => [WebhookEndpointType], { description: 'Every webhook endpoint (admins).' })
  async webhookEndpoints(@Ctx() context: Context): Promise<WebhookEndpointType[]> {
    return (await this.endpoints.list(context.em)).map(toEndpoint);
  }

  @Authorized('admin')
  @Mutation(() => WebhookEndpointSecretType, {
    description: 'Registers an endpoint; answers its signing secret (whsec_…) this once.',
  })
  async createWebhookEndpoint(
    @Arg('description', () => String, { nullable: true }) description: string | null | undefined,
    @Arg('events', () => [String]) events: string[],
    @Arg('url', () => String) url: string,
    @Ctx() context: Context,
  ): Promise<WebhookEndpointSecretType> {
    const outcome = await this.endpoints.create(context.em, {
      url,
      events,
      description: description ?? null,
    });
    if (outcome.kind === 'invalid') throw new BadUserInputError(outcome.reason, outcome.field);
    return { endpoint: toEndpoint(outcome.endpoint), secret: outcome.secret };
  }

  @Authorized('admin')
  @Mutation(() => WebhookEndpointType, {
    description:
      'Changes an endpoint; enabled: true turns a disabled one back on (its failure streak starts over).',
  })
  async updateWebhookEndpoint(
    @Arg('enabled', () => Boolean, { nullable: true }) enabled: boolean | null | undefined,
    @Arg('description', () => String, { nullable: true }) description: string | null | undefined,
    @Arg('events', () => [String], { nullable: true }) events: string[] | null | undefined,
    @Arg('url', () => String, { nullable: true }) url: string | null | undefined,
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
  ): Promise<WebhookEndpointType> {
    const outcome = await this.endpoints.update(context.em, id, { url, events, description, enabled });
    if (outcome.kind === 'not-found') throw new BadUserInputError(NOT_FOUND, 'id');
    if (outcome.kind === 'invalid') throw new BadUserInputError(outcome.reason, outcome.field);
    return toEndpoint(outcome.endpoint);
  }

  @Authorized('admin')
  @Mutation(() => WebhookEndpointSecretType, {
    description: 'A new signing secret (shown this once); the previous one signs too for 24 hours.',
  })
  async rotateWebhookSecret(
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
  ): Promise<WebhookEndpointSecretType> {
    const outcome = await this.endpoints.rotateSecret(context.em, id);
    if (outcome.kind === 'not-found') throw new BadUserInputError(NOT_FOUND, 'id');
    return { endpoint: toEndpoint(outcome.endpoint), secret: outcome.secret };
  }

  @Authorized('admin')
  @Mutation(() => Boolean, {
    description: 'Deletes the endpoint and its delivery history; false when there is none.',
  })
  async deleteWebhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() context: Context): Promise<boolean> {
    return this.endpoints.delete(context.em, id);
  }

  @Authorized('admin')
  @Query(() => WebhookDeliveryConnectionType, { description: "An endpoint's deliveries, newest first." })
  async webhookDeliveries(
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Arg('status', () => WebhookDeliveryStatusEnum, { nullable: true })
    status: WebhookDeliveryStatusEnum | null | undefined,
    @Arg('endpointId', () => ID) endpointId: string,
    @Ctx() context: Context,
  ): Promise<WebhookDeliveryConnectionType> {
    if (first < 1 || first > DELIVERIES_PAGE_MAX) {
      throw new BadUserInputError(`first must be between 1 and ${DELIVERIES_PAGE_MAX}.`, 'first');
    }
    const page = await this.endpoints.deliveries(
      context.em,
      endpointId,
      status ?? null,
      after ?? null,
      first,
    );
    if ('kind' in page) {
      if (page.kind === 'not-found') throw new BadUserInputError(NOT_FOUND, 'endpointId');
      throw new BadUserInputError('Unknown cursor.', 'after');
    }
    const edges = page.deliveries.map((delivery) => ({ cursor: delivery.id, node: toDelivery(delivery) }));
    return {
      edges,
      nodes: edges.map((edge) => edge.node),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  @Authorized('admin')
  @Mutation(() => WebhookDeliveryType, {
    description: 'Queues a delivery again now (same webhook-id), whatever its status.',
  })
  async redeliverWebhook(
    @Arg('deliveryId', () => ID) deliveryId: string,
    @Ctx() context: Context,
  ): Promise<WebhookDeliveryType> {
    const delivery = await this.endpoints.redeliver(context.em, deliveryId);
    if (!delivery) throw new BadUserInputError('No such webhook delivery.', 'deliveryId');
    return toDelivery(delivery);
  }

  @Authorized('admin')
  @Mutation(() => WebhookDeliveryType, {
    description: 'Queues a webhook.test event to the endpoint (whatever it subscribes to).',
  })
  async sendTestWebhook(
    @Arg('endpointId', () => ID) endpointId: string,
    @Ctx() context: Context,
  ): Promise<WebhookDeliveryType> {
    const delivery = await this.endpoints.sendTest(context.em, endpointId);
    if (!delivery) throw new BadUserInputError(NOT_FOUND, 'endpointId');
    return toDelivery(delivery);
  }
}
