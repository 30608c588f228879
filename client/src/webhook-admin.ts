import {
  CreateWebhookEndpointDocument,
  DeleteWebhookEndpointDocument,
  RedeliverWebhookDocument,
  RotateWebhookSecretDocument,
  SendTestWebhookDocument,
  UpdateWebhookEndpointDocument,
  WebhookDeliveriesDocument,
  WebhookEndpointsDocument,
} from '../generated/graphql.js';
import type {
  CreateWebhookEndpointMutation,
  RedeliverWebhookMutation,
  RotateWebhookSecretMutation,
  SendTestWebhookMutation,
  UpdateWebhookEndpointMutationVariables,
  UpdateWebhookEndpointMutation,
  WebhookDeliveriesQuery,
  WebhookDeliveryStatus,
  WebhookEndpointsQuery,
} from '../generated/graphql.js';
import type { PlintoClient } from './plinto-client.js';

/** Webhook endpoint management for an admin's signed-in client (Standard Webhooks; see the README). */
export class PlintoWebhookAdmin {
  constructor(private readonly client: PlintoClient) {}

  async endpoints(): Promise<WebhookEndpointsQuery['webhookEndpoints']> {
    return (await this.client.request(WebhookEndpointsDocument)).webhookEndpoints;
  }

  /** The answer's `secret` (whsec_…) is shown this once. */
  async createEndpoint(
    url: string,
    events: string[],
    description?: string,
  ): Promise<CreateWebhookEndpointMutation['createWebhookEndpoint']> {
    return (await this.client.request(CreateWebhookEndpointDocument, { url, events, description }))
      .createWebhookEndpoint;
  }

  async updateEndpoint(
    changes: UpdateWebhookEndpointMutationVariables,
  ): Promise<UpdateWebhookEndpointMutation['updateWebhookEndpoint']> {
    return (await this.client.request(UpdateWebhookEndpointDocument, changes)).updateWebhookEndpoint;
  }

  /** A new secret; the previous one keeps signing for 24 hours. */
  async rotateSecret(id: string): Promise<RotateWebhookSecretMutation['rotateWebhookSecret']> {
    return (await this.client.request(RotateWebhookSecretDocument, { id })).rotateWebhookSecret;
  }

  async deleteEndpoint(id: string): Promise<boolean> {
    return (await this.client.request(DeleteWebhookEndpointDocument, { id })).deleteWebhookEndpoint;
  }

  async deliveries(
    endpointId: string,
    options: { status?: WebhookDeliveryStatus; after?: string; first?: number } = {},
  ): Promise<WebhookDeliveriesQuery['webhookDeliveries']> {
    return (await this.client.request(WebhookDeliveriesDocument, { endpointId, ...options }))
      .webhookDeliveries;
  }

  async redeliver(deliveryId: string): Promise<RedeliverWebhookMutation['redeliverWebhook']> {
    return (await this.client.request(RedeliverWebhookDocument, { deliveryId })).redeliverWebhook;
  }

  async sendTest(endpointId: string): Promise<SendTestWebhookMutation['sendTestWebhook']> {
    return (await this.client.request(SendTestWebhookDocument, { endpointId })).sendTestWebhook;
  }
}
