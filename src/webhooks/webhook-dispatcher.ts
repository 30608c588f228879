import type { EntityManager } from '@mikro-orm/core';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { SecretBox } from '../security/crypto.js';
import { claimLeased } from '../storage/leased-claim.js';
import { inTransaction } from '../storage/transaction.js';
import { WebhookDelivery, WebhookEndpoint } from '../storage/entities/index.js';
import type { WebhookOutbox } from './webhook-outbox.js';
import type { AddressPolicy } from './address-guard.js';
import { WebhookSender } from './webhook-sender.js';

// Kept here for their importers (the endpoints service, the sealed-values registry).
export { SECRET_PURPOSE } from './webhook-sender.js';

const DAY_MS = 86_400_000;

export interface WebhookDispatcherSettings {
  pollIntervalMs: number;
  /** One POST's whole budget (connect, send, answer): 10 s. */
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** A delivery still failing this long after it was queued is marked failed (3 days). */
  retryWindowMs: number;
  /** An endpoint whose every attempt failed for this long is disabled (3 days). */
  disableAfterMs: number;
  /** How long a claim holds; longer than one attempt can take, so a live claim is never taken over. */
  leaseMs: number;
  batchSize: number;
  /** POSTs in flight at once per replica. */
  concurrency: number;
  policy: AddressPolicy;
}

/** An endpoint was disabled after 3 days of failures: the admins hear of it (see services.ts). */
export type EndpointDisabledListener = (
  em: EntityManager,
  endpoint: WebhookEndpoint,
  at: Date,
) => Promise<void>;

type EndpointCache = Map<string, Promise<WebhookEndpoint | null>>;

/** A POST the receiver answered with 2xx, recorded with the rest of its batch. */
interface Delivered {
  id: string;
  lockId: string;
  attempts: number;
  status: number;
}

/**
 * Sends the webhook outbox. Every replica runs one; a due row is claimed with a conditional
 * update (one replica wins it) that holds for `leaseMs`, so a replica that dies mid-delivery
 * loses nothing: its claim expires and another replica delivers. Delivery is at-least-once (a
 * replica that dies after the receiver answered but before it recorded the answer sends again):
 * receivers de-duplicate by `webhook-id`. Rows are not ordered per endpoint.
 */
export class WebhookDispatcher {
  private running = false;
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;
  private wakeRequested = false;
  private readonly sender: WebhookSender;
  private onDisabled: EndpointDisabledListener | null = null;

  constructor(
    private readonly fork: () => EntityManager,
    private readonly outbox: WebhookOutbox,
    private readonly box: SecretBox,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly settings: WebhookDispatcherSettings,
  ) {
    outbox.onEmitted(() => this.wake());
    this.sender = new WebhookSender(box, settings);
  }

  onEndpointDisabled(listener: EndpointDisabledListener): void {
    this.onDisabled = listener;
  }

  /** Polls every pollIntervalMs (0: never on a timer; `tick` still works). */
  start(): void {
    if (this.running || this.settings.pollIntervalMs === 0) return;
    this.running = true;
    this.schedule(0);
  }

  wake(): void {
    if (!this.running) return;
    if (this.current) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  /**
   * Stops polling and aborts the POSTs in flight (their claims expire and another replica sends
   * them: the same as a crash, which is what the two-replica test relies on).
   */
  async stop(waitMs = 5000): Promise<void> {
    this.running = false;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.sender.abortAll();
    if (this.current) {
      await Promise.race([this.current, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
    }
    this.sender.close();
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), delayMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    this.timer = null;
    if (!this.running || this.current) return;
    this.wakeRequested = false;
    let more = false;
    this.current = this.tick().then(
      (full) => {
        more = full;
      },
      (error: unknown) => {
        const { name, code } = error as { name?: string; code?: string };
        this.logger.warn(
          { error: name ?? 'unknown', driverCode: code ?? null },
          'webhook dispatcher tick failed',
        );
      },
    );
    await this.current;
    this.current = null;
    if (this.running) this.schedule(more || this.wakeRequested ? 0 : this.settings.pollIntervalMs);
  }

  /**
   * One pass over due deliveries at `now` (tests pass a clock of their own); true when the batch
   * was full. The batch's successes are recorded together at its end (one UPDATE per distinct
   * attempt count and status, usually one): a replica that dies before that sends them again,
   * which at-least-once allows.
   */
  async tick(now: Date = new Date()): Promise<boolean> {
    const claimedAt = performance.now();
    const claimed = await claimLeased(
      this.fork(),
      WebhookDelivery,
      { status: 'pending' },
      {
        now,
        leaseMs: this.settings.leaseMs,
        limit: this.settings.batchSize,
      },
    );
    // No attempt starts unless its timeout ends well inside the claim: a live claim is never taken over.
    const startBy = claimedAt + this.settings.leaseMs * 0.9 - this.settings.timeoutMs;
    const endpoints: EndpointCache = new Map();
    const delivered: Delivered[] = [];
    const unstarted: WebhookDelivery[] = [];
    const queue = [...claimed];
    const worker = async () => {
      for (let delivery = queue.shift(); delivery; delivery = queue.shift()) {
        if (this.stopping || performance.now() > startBy) {
          unstarted.push(delivery);
          continue;
        }
        try {
          const success = await this.deliver(delivery, endpoints, now);
          if (success) delivered.push(success);
        } catch (error) {
          // The claim expires and the row is tried again; one broken row never stops the others.
          const { name, code } = error as { name?: string; code?: string };
          this.logger.error(
            { error: name ?? 'unknown', driverCode: code ?? null, deliveryId: delivery.id },
            'webhook delivery failed unexpectedly',
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.settings.concurrency, claimed.length) }, worker));
    await this.recordDelivered(delivered, now);
    await this.release(unstarted);
    await this.observeQueue(now, claimed.length < this.settings.batchSize);
    return claimed.length === this.settings.batchSize;
  }

  private async recordDelivered(delivered: Delivered[], now: Date): Promise<void> {
    const groups = new Map<string, Delivered[]>();
    for (const row of delivered) {
      const key = `${row.lockId}|${row.attempts}|${row.status}`;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    const em = this.fork();
    for (const rows of groups.values()) {
      const { lockId, attempts, status } = rows[0]!;
      // Conditional on our claim: a row whose lease expired and was taken over is left to its new holder.
      await em.nativeUpdate(
        WebhookDelivery,
        { id: { $in: rows.map((row) => row.id) }, lockId },
        {
          status: 'delivered',
          attempts,
          deliveredAt: now,
          lastAttemptAt: now,
          lastStatusCode: status,
          lastError: null,
          lockId: null,
          lockedUntil: null,
        },
      );
    }
  }

  /** Claimed but not started (stopping, or too late in the lease): due again at once for any replica. */
  private async release(rows: WebhookDelivery[]): Promise<void> {
    if (rows.length === 0) return;
    await this.fork().nativeUpdate(
      WebhookDelivery,
      { id: { $in: rows.map((row) => row.id) }, lockId: rows[0]!.lockId },
      { lockId: null, lockedUntil: null },
    );
  }

  /** One read per endpoint per pass, shared by the workers (the promise is cached, not its result). */
  private endpointOf(id: string, cache: EndpointCache): Promise<WebhookEndpoint | null> {
    let endpoint = cache.get(id);
    if (!endpoint) {
      endpoint = this.fork().findOne(WebhookEndpoint, { id }, { disableIdentityMap: true });
      cache.set(id, endpoint);
    }
    return endpoint;
  }

  /** Sends one delivery; a success is returned for the batch's record, anything else is recorded here. */
  private async deliver(
    delivery: WebhookDelivery,
    endpoints: EndpointCache,
    now: Date,
  ): Promise<Delivered | null> {
    const em = this.fork();
    const mine = { id: delivery.id, lockId: delivery.lockId };
    const endpoint = await this.endpointOf(delivery.endpointId, endpoints);
    if (!endpoint || endpoint.disabledAt) {
      await em.nativeUpdate(WebhookDelivery, mine, {
        status: 'failed',
        failedAt: now,
        lastError: 'endpoint disabled',
        lockId: null,
        lockedUntil: null,
      });
      return null;
    }
    const body = this.outbox.openPayload(delivery);
    const started = performance.now();
    const outcome = await this.sender.attempt(endpoint, delivery.eventId, body, now);
    this.metrics.webhookDeliveryDuration.observe((performance.now() - started) / 1000);
    // Stopped mid-POST (shutdown): record nothing, the claim expires and a replica sends it again.
    if (!outcome.ok && this.stopping) return null;
    const attempts = delivery.attempts + 1;
    if (outcome.ok) {
      this.metrics.webhookDeliveries.inc({ endpoint: endpoint.id, outcome: 'delivered' });
      if (endpoint.failingSince) {
        endpoint.failingSince = null;
        await em.nativeUpdate(WebhookEndpoint, { id: endpoint.id }, { failingSince: null });
      }
      return { id: delivery.id, lockId: delivery.lockId!, attempts, status: outcome.status };
    }
    const expired = now.getTime() - delivery.queuedAt.getTime() >= this.settings.retryWindowMs;
    await em.nativeUpdate(WebhookDelivery, mine, {
      status: expired ? 'failed' : 'pending',
      attempts,
      failedAt: expired ? now : null,
      lastAttemptAt: now,
      lastStatusCode: outcome.status,
      lastError: outcome.reason.slice(0, 255),
      nextAttemptAt: new Date(now.getTime() + this.backoffMs(attempts)),
      lockId: null,
      lockedUntil: null,
    });
    this.metrics.webhookDeliveries.inc({ endpoint: endpoint.id, outcome: expired ? 'failed' : 'retry' });
    this.logger.info(
      {
        endpointId: endpoint.id,
        deliveryId: delivery.id,
        attempts,
        status: outcome.status,
        reason: outcome.reason,
      },
      expired ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry',
    );
    await this.recordEndpointFailure(em, endpoint, now);
    return null;
  }

  /** Starts (or continues) the endpoint's failing streak; 3 days of it disables the endpoint. */
  private async recordEndpointFailure(
    em: EntityManager,
    endpoint: WebhookEndpoint,
    now: Date,
  ): Promise<void> {
    if (!endpoint.failingSince) {
      await em.nativeUpdate(WebhookEndpoint, { id: endpoint.id, failingSince: null }, { failingSince: now });
      endpoint.failingSince = now;
      return;
    }
    if (now.getTime() - endpoint.failingSince.getTime() < this.settings.disableAfterMs) return;
    // Conditional: of several replicas, one disables it, and its admin mails join that transaction.
    const disabled = await inTransaction(em, async (tx) => {
      const won = await tx.nativeUpdate(
        WebhookEndpoint,
        { id: endpoint.id, disabledAt: null, failingSince: { $ne: null } },
        { disabledAt: now, disabledReason: 'failing', updatedAt: now },
      );
      if (won === 1) await this.onDisabled?.(tx, endpoint, now);
      return won;
    });
    endpoint.disabledAt = now;
    if (disabled !== 1) return;
    this.metrics.webhookEndpointsDisabled.inc();
    this.logger.warn(
      { endpointId: endpoint.id },
      'webhook endpoint disabled after 3 days of failed deliveries',
    );
  }

  private lastObservedAt = -Infinity;

  /** The queue gauges: after an idle pass (the queue is drained), else at most once a second. */
  private async observeQueue(now: Date, drained: boolean): Promise<void> {
    if (!drained && performance.now() - this.lastObservedAt < 1000) return;
    this.lastObservedAt = performance.now();
    const em = this.fork();
    const pending = { status: 'pending' as const };
    this.metrics.webhookQueueDepth.set(await em.count(WebhookDelivery, pending));
    const oldest = await em.findOne(WebhookDelivery, pending, {
      fields: ['queuedAt'],
      orderBy: { queuedAt: 'asc' },
      disableIdentityMap: true,
    });
    this.metrics.webhookOldestPendingSeconds.set(
      oldest ? Math.max(0, (now.getTime() - oldest.queuedAt.getTime()) / 1000) : 0,
    );
  }

  /** Exponential back-off with ±20 % jitter, so that replicas do not retry an endpoint in lock-step. */
  backoffMs(attempts: number): number {
    const exponential = this.settings.retryBaseMs * 2 ** Math.min(attempts - 1, 30);
    const capped = Math.min(exponential, this.settings.retryMaxMs);
    return Math.round(capped * (0.8 + Math.random() * 0.4));
  }
}

export const WEBHOOK_DEFAULTS = { retryWindowMs: 3 * DAY_MS, disableAfterMs: 3 * DAY_MS } as const;
