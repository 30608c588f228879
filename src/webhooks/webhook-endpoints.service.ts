import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { randomBytes, randomUUID } from 'node:crypto';
import type { SecretBox } from '../security/crypto.js';
import { WebhookDelivery, WebhookEndpoint } from '../storage/entities/index.js';
import type { WebhookDeliveryStatus } from '../storage/entities/index.js';
import type { AddressPolicy } from './address-guard.js';
import { checkEndpointUrl, checkResolvedHost } from './address-guard.js';
import { SECRET_PURPOSE } from './webhook-dispatcher.js';
import { isWebhookEventType } from './webhook-events.js';
import type { WebhookOutbox } from './webhook-outbox.js';

/** Both secrets sign for this long after a rotation, so receivers can switch without a gap. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;
export const DELIVERIES_PAGE_MAX = 100;

export type EndpointInputProblem = {
  kind: 'invalid';
  field: 'url' | 'events' | 'description';
  reason: string;
};

export interface EndpointInput {
  url: string;
  events: string[];
  description: string | null;
}

export interface EndpointChanges {
  url?: string | null;
  events?: string[] | null;
  description?: string | null;
  enabled?: boolean | null;
}

export interface DeliveriesPage {
  deliveries: WebhookDelivery[];
  hasNextPage: boolean;
}

/** A new signing secret in the Standard Webhooks format: whsec_ + base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Admin management of webhook endpoints (the resolvers check the admin role). */
export class WebhookEndpointsService {
  constructor(
    private readonly box: SecretBox,
    private readonly outbox: WebhookOutbox,
    private readonly policy: AddressPolicy,
  ) {}

  async create(
    em: EntityManager,
    input: EndpointInput,
    now: Date = new Date(),
  ): Promise<{ kind: 'created'; endpoint: WebhookEndpoint; secret: string } | EndpointInputProblem> {
    const problem =
      (await this.checkUrl(input.url)) ?? checkEvents(input.events) ?? checkDescription(input.description);
    if (problem) return problem;
    const secret = newSigningSecret();
    const endpoint = Object.assign(new WebhookEndpoint(), {
      id: randomUUID(),
      url: input.url,
      events: [...new Set(input.events)].join(','),
      description: input.description,
      secret: this.box.seal(SECRET_PURPOSE, secret),
      createdAt: now,
      updatedAt: now,
    });
    await em.insert(WebhookEndpoint, endpoint);
    return { kind: 'created', endpoint, secret };
  }

  async update(
    em: EntityManager,
    id: string,
    changes: EndpointChanges,
    now: Date = new Date(),
  ): Promise<{ kind: 'updated'; endpoint: WebhookEndpoint } | { kind: 'not-found' } | EndpointInputProblem> {
    const endpoint = await this.find(em, id);
    if (!endpoint) return { kind: 'not-found' };
    const update: Partial<WebhookEndpoint> = { updatedAt: now };
    if (changes.url != null) {
      const problem = await this.checkUrl(changes.url);
      if (problem) return problem;
      update.url = changes.url;
    }
    if (changes.events != null) {
      const problem = checkEvents(changes.events);
      if (problem) return problem;
      update.events = [...new Set(changes.events)].join(',');
    }
    if (changes.description !== undefined) {
      const problem = checkDescription(changes.description);
      if (problem) return problem;
      update.description = changes.description;
    }
    if (changes.enabled === true)
      Object.assign(update, { disabledAt: null, disabledReason: null, failingSince: null });
    if (changes.enabled === false && !endpoint.disabledAt) {
      Object.assign(update, { disabledAt: now, disabledReason: 'admin' });
    }
    await em.nativeUpdate(WebhookEndpoint, { id }, update);
    return { kind: 'updated', endpoint: Object.assign(endpoint, update) };
  }

  /** A new secret; the current one keeps signing (a second signature) for 24 hours. */
  async rotateSecret(
    em: EntityManager,
    id: string,
    now: Date = new Date(),
  ): Promise<{ kind: 'rotated'; endpoint: WebhookEndpoint; secret: string } | { kind: 'not-found' }> {
    const endpoint = await this.find(em, id);
    if (!endpoint) return { kind: 'not-found' };
    const secret = newSigningSecret();
    const update = {
      secret: this.box.seal(SECRET_PURPOSE, secret),
      previousSecret: endpoint.secret,
      previousSecretRetiredAt: new Date(now.getTime() + ROTATION_OVERLAP_MS),
      updatedAt: now,
    };
    await em.nativeUpdate(WebhookEndpoint, { id }, update);
    return { kind: 'rotated', endpoint: Object.assign(endpoint, update), secret };
  }

  /** Deletes the endpoint and (by cascade) its deliveries. */
  async delete(em: EntityManager, id: string): Promise<boolean> {
    return (await em.nativeDelete(WebhookEndpoint, { id })) > 0;
  }

  async list(em: EntityManager): Promise<WebhookEndpoint[]> {
    return em.find(
      WebhookEndpoint,
      {},
      { orderBy: { createdAt: 'asc', id: 'asc' }, disableIdentityMap: true },
    );
  }

  /** Newest first; `after` is the id of the last delivery of the previous page. */
  async deliveries(
    em: EntityManager,
    endpointId: string,
    status: WebhookDeliveryStatus | null,
    after: string | null,
    first: number,
  ): Promise<DeliveriesPage | { kind: 'invalid-cursor' } | { kind: 'not-found' }> {
    if (!(await this.find(em, endpointId))) return { kind: 'not-found' };
    const where: FilterQuery<WebhookDelivery>[] = [{ endpointId }];
    if (status) where.push({ status });
    if (after) {
      const cursor = isUuid(after)
        ? await em.findOne(WebhookDelivery, { id: after, endpointId }, { disableIdentityMap: true })
        : null;
      if (!cursor) return { kind: 'invalid-cursor' };
      where.push({
        $or: [
          { createdAt: { $lt: cursor.createdAt } },
          { createdAt: cursor.createdAt, id: { $lt: cursor.id } },
        ],
      });
    }
    const rows = await em.find(
      WebhookDelivery,
      { $and: where },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: first + 1, disableIdentityMap: true },
    );
    return { deliveries: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** Queues the delivery again (same webhook-id: a receiver that has it already de-duplicates). */
  async redeliver(
    em: EntityManager,
    deliveryId: string,
    now: Date = new Date(),
  ): Promise<WebhookDelivery | null> {
    if (!isUuid(deliveryId)) return null;
    const updated = await em.nativeUpdate(
      WebhookDelivery,
      { id: deliveryId },
      {
        status: 'pending',
        nextAttemptAt: now,
        queuedAt: now,
        failedAt: null,
        lockId: null,
        lockedUntil: null,
      },
    );
    if (updated !== 1) return null;
    this.outbox.wakeDispatcher();
    return em.findOne(WebhookDelivery, { id: deliveryId }, { disableIdentityMap: true });
  }

  async sendTest(
    em: EntityManager,
    endpointId: string,
    now: Date = new Date(),
  ): Promise<WebhookDelivery | null> {
    if (!(await this.find(em, endpointId))) return null;
    const id = await this.outbox.emitTest(em, endpointId, now);
    return em.findOne(WebhookDelivery, { id }, { disableIdentityMap: true });
  }

  private async find(em: EntityManager, id: string): Promise<WebhookEndpoint | null> {
    if (!isUuid(id)) return null;
    return em.findOne(WebhookEndpoint, { id }, { disableIdentityMap: true });
  }

  private async checkUrl(url: string): Promise<EndpointInputProblem | null> {
    const shape = checkEndpointUrl(url, this.policy);
    if (!shape.ok) return { kind: 'invalid', field: 'url', reason: `The URL ${shape.reason}.` };
    const resolved = await checkResolvedHost(shape.url, this.policy);
    if (!resolved.ok) return { kind: 'invalid', field: 'url', reason: `The URL ${resolved.reason}.` };
    return null;
  }
}

function checkEvents(events: string[]): EndpointInputProblem | null {
  if (events.length === 0) return { kind: 'invalid', field: 'events', reason: 'Name at least one event.' };
  const unknown = events.filter((event) => !isWebhookEventType(event));
  if (unknown.length > 0) {
    return {
      kind: 'invalid',
      field: 'events',
      reason: `Unknown event type: ${unknown
        .slice(0, 3)
        .map((e) => e.slice(0, 64))
        .join(', ')}.`,
    };
  }
  return null;
}

/** At most 500 characters; line breaks and tabs allowed, other control characters (a NUL byte is a driver error in PostgreSQL) not. */
export function checkDescription(description: string | null): EndpointInputProblem | null {
  if (description && description.length > 500) {
    return { kind: 'invalid', field: 'description', reason: 'At most 500 characters.' };
  }
  if (description && /[^\P{Cc}\t\n\r]/u.test(description)) {
    return {
      kind: 'invalid',
      field: 'description',
      reason: 'No control characters other than line breaks and tabs.',
    };
  }
  return null;
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
