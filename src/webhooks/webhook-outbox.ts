import type { EntityManager } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../security/crypto.js';
import { WebhookDelivery, WebhookEndpoint } from '../storage/entities/index.js';
import type { WebhookEvent, WebhookPayload } from './webhook-events.js';
import { assertNoSecrets, TEST_EVENT_TYPE, WEBHOOK_EVENT_VERSIONS } from './webhook-events.js';

export const PAYLOAD_PURPOSE = 'webhook-payload';

/** What flows depend on: one call, inside the change's transaction. */
export interface WebhookEmitter {
  emit(em: EntityManager, event: WebhookEvent, now?: Date): Promise<number>;
}

/** For code built without webhooks (unit tests, tools): emits nothing. */
export const NO_WEBHOOKS: WebhookEmitter = { emit: async () => 0 };

export function subscribedTo(endpoint: Pick<WebhookEndpoint, 'events'>, type: string): boolean {
  return endpoint.events.split(',').includes(type);
}

/**
 * The write side of webhooks: a flow calls `emit(em, event)` with the EntityManager of the
 * transaction that makes the change. One delivery row per subscribed, enabled endpoint joins
 * that transaction, so a committed change always has its deliveries and a rolled-back one never
 * does. Nothing is sent here; the dispatcher (every replica runs one) sends them.
 */
export class WebhookOutbox implements WebhookEmitter {
  private listener: (() => void) | null = null;

  constructor(private readonly box: SecretBox) {}

  /** The dispatcher registers here to be woken when a delivery is waiting, instead of at the next poll. */
  onEmitted(listener: () => void): void {
    this.listener = listener;
  }

  /** A redelivery was queued: the dispatcher need not wait for its next poll. */
  wakeDispatcher(): void {
    const listener = this.listener;
    if (listener) setImmediate(listener);
  }

  /** Writes the event's deliveries with `em` (the change's transaction); returns how many. */
  async emit(em: EntityManager, event: WebhookEvent, now: Date = new Date()): Promise<number> {
    // Refused in the flow's own transaction: a payload that could carry a secret never gets out.
    assertNoSecrets(event.data);
    const endpoints = await em.find(
      WebhookEndpoint,
      { disabledAt: null },
      { fields: ['id', 'events'], disableIdentityMap: true },
    );
    const targets = endpoints.filter((endpoint) => subscribedTo(endpoint, event.type));
    if (targets.length === 0) return 0;
    const payload: WebhookPayload = {
      type: event.type,
      version: WEBHOOK_EVENT_VERSIONS[event.type],
      id: randomUUID(),
      timestamp: now.toISOString(),
      data: event.data as unknown as Record<string, unknown>,
    };
    await this.insert(em, targets, payload, now);
    return targets.length;
  }

  /** The test event of `sendTestWebhook`: one delivery to one endpoint, whatever it subscribes to. */
  async emitTest(em: EntityManager, endpointId: string, now: Date = new Date()): Promise<string> {
    const payload: WebhookPayload = {
      type: TEST_EVENT_TYPE,
      version: 1,
      id: randomUUID(),
      timestamp: now.toISOString(),
      data: { endpointId, message: 'a test event from Plinto' },
    };
    const [id] = await this.insert(em, [{ id: endpointId }], payload, now);
    return id!;
  }

  openPayload(delivery: Pick<WebhookDelivery, 'payload'>): string {
    return this.box.open(PAYLOAD_PURPOSE, delivery.payload);
  }

  private async insert(
    em: EntityManager,
    targets: readonly { id: string }[],
    payload: WebhookPayload,
    now: Date,
  ): Promise<string[]> {
    const sealed = this.box.seal(PAYLOAD_PURPOSE, JSON.stringify(payload));
    const rows = targets.map((endpoint) => ({
      id: randomUUID(),
      endpointId: endpoint.id,
      eventId: payload.id,
      eventType: payload.type,
      payload: sealed,
      status: 'pending' as const,
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      queuedAt: now,
    }));
    if (rows.length === 1) await em.insert(WebhookDelivery, rows[0]!);
    else await em.insertMany(WebhookDelivery, rows);
    // Woken after the caller's commit at the earliest: a claim before it finds nothing, the poll does.
    const listener = this.listener;
    if (listener) setImmediate(listener);
    return rows.map((row) => row.id);
  }
}
