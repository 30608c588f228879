import type { EntityManager } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { SecretBox } from '../security/crypto.js';
import { claimLeased } from '../storage/leased-claim.js';
import { inTransaction } from '../storage/transaction.js';
import { WebhookDelivery, WebhookEndpoint } from '../storage/entities/index.js';
import type { HandedOffDelivery, WebhookOutbox } from './webhook-outbox.js';
import type { AddressPolicy } from './address-guard.js';
import { WebhookSender } from './webhook-sender.js';

// Kept here for their importers (the endpoints service, the sealed-values registry).
export { SECRET_PURPOSE } from './webhook-sender.js';

const DAY_MS = 86_400_000;
/** How long a handed-off delivery may wait for others to share its pass (and its recording UPDATE). */
const HAND_OFF_BATCH_MS = 25;
/** How often a replica recounts the queue gauges (a third of Prometheus's usual 15 s scrape interval). */
const GAUGE_INTERVAL_MS = 5000;

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

/** What one attempt needs of a row: claimed from the table, or handed off after its commit. */
type Sendable = Pick<
  WebhookDelivery,
  'id' | 'lockId' | 'endpointId' | 'eventId' | 'attempts' | 'queuedAt'
> & {
  /** The sealed payload (claimed rows) … */
  payload?: string;
  /** … or the payload in clear with the endpoint as the emitting transaction read it (handed off). */
  handed?: HandedOffDelivery;
};

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
  private timerDueAt = 0;
  private current: Promise<void> | null = null;
  private wakeRequested = false;
  /** A claim pass is wanted (a wake from an emit not handed off, a redelivery) before the next poll. */
  private claimRequested = false;
  /** When the next claim pass is due on the timer (performance.now()); the last claim was full: at once. */
  private nextClaimAt = 0;
  /** Deliveries emitted on this replica, committed, leased to it: sent without a claim. */
  private handed: HandedOffDelivery[] = [];
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
    outbox.handOffTo({
      lease: (count) => this.lease(count),
      take: (deliveries) => this.take(deliveries),
    });
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

  /** Asks for a claim pass now (a row was queued that this replica was not handed). */
  wake(): void {
    if (!this.running) return;
    this.claimRequested = true;
    this.kick();
  }

  /**
   * At most this many handed-off deliveries wait in memory (beyond it emits write unleased rows
   * that any replica claims): all of them start well inside their lease at the usual rate.
   */
  private get handOffCap(): number {
    return this.settings.batchSize * 5;
  }

  /** A lease for new rows emitted on this replica, while it runs and has room for them. */
  private lease(count: number): { lockId: string; leaseMs: number } | null {
    if (!this.running || this.stopping || this.handed.length + count > this.handOffCap) return null;
    return { lockId: randomUUID(), leaseMs: this.settings.leaseMs };
  }

  /**
   * Handed-off deliveries wait up to HAND_OFF_BATCH_MS for others (a sign-up commits user.created
   * and then session.created a few ms apart; concurrent requests add theirs): one pass, one UPDATE
   * recording them all, instead of one each.
   */
  private take(deliveries: HandedOffDelivery[]): void {
    this.handed.push(...deliveries);
    if (this.running) this.kick(HAND_OFF_BATCH_MS);
  }

  /** A pass in `delayMs` at the latest (an earlier one already due stays: never pushed back). */
  private kick(delayMs = 0): void {
    if (this.current) {
      this.wakeRequested = true;
      return;
    }
    if (this.timer && this.timerDueAt <= performance.now() + delayMs) return;
    this.schedule(delayMs);
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
    // Handed off but not started: free for any replica now (else they wait for their lease to end).
    const unsent = this.handed.splice(0);
    if (unsent.length > 0) {
      await this.release(unsent.map((d) => ({ id: d.id, lockId: d.lockId }))).catch(() => undefined);
    }
    if (this.current) {
      await Promise.race([this.current, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
    }
    this.sender.close();
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerDueAt = performance.now() + delayMs;
    this.timer = setTimeout(() => void this.run(), delayMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    this.timer = null;
    if (!this.running || this.current) return;
    this.wakeRequested = false;
    let more = false;
    const handed = this.handed.splice(0);
    const claim = this.claimRequested || performance.now() >= this.nextClaimAt;
    if (claim) this.claimRequested = false;
    this.current = (async () => {
      if (handed.length > 0) await this.sendHanded(handed);
      if (!claim) return false;
      // Set first: a pass that throws (database down) waits for the next poll, it does not spin.
      this.nextClaimAt = performance.now() + this.settings.pollIntervalMs;
      const full = await this.tick();
      if (full) this.nextClaimAt = 0;
      return full;
    })().then(
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
    if (!this.running) return;
    const now = performance.now();
    const busy = more || this.wakeRequested || this.handed.length > 0;
    this.schedule(busy ? 0 : Math.max(0, this.nextClaimAt - now));
  }

  /** Sends deliveries handed off after their commit: no claim, no read; successes recorded together. */
  private async sendHanded(handed: HandedOffDelivery[]): Promise<void> {
    const now = new Date();
    const items: Sendable[] = handed.map((d) => ({
      id: d.id,
      lockId: d.lockId,
      endpointId: d.endpoint.id,
      eventId: d.eventId,
      attempts: 0,
      queuedAt: d.queuedAt,
      handed: d,
    }));
    // Each one's lease began when its row was written.
    const startBy = (item: Sendable) =>
      item.handed!.leasedAt + this.settings.leaseMs * 0.9 - this.settings.timeoutMs;
    await this.send(items, startBy, new Map(), now);
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
    await this.send(claimed, () => startBy, new Map(), now);
    await this.observeQueue(now);
    return claimed.length === this.settings.batchSize;
  }

  /** Sends `items` with `concurrency` workers, then records the successes and releases the unstarted. */
  private async send(
    items: Sendable[],
    startByOf: (item: Sendable) => number,
    endpoints: EndpointCache,
    now: Date,
  ): Promise<void> {
    const delivered: Delivered[] = [];
    const unstarted: Sendable[] = [];
    const queue = [...items];
    const worker = async () => {
      for (let delivery = queue.shift(); delivery; delivery = queue.shift()) {
        if (this.stopping || performance.now() > startByOf(delivery)) {
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
    await Promise.all(Array.from({ length: Math.min(this.settings.concurrency, items.length) }, worker));
    await this.recordDelivered(delivered, now);
    await this.release(unstarted);
  }

  private async recordDelivered(delivered: Delivered[], now: Date): Promise<void> {
    const groups = new Map<string, Delivered[]>();
    for (const row of delivered) {
      const key = `${row.attempts}|${row.status}`;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    const em = this.fork();
    for (const rows of groups.values()) {
      const { attempts, status } = rows[0]!;
      // Conditional on our claims (lock ids are random, one per claim or hand-off): a row whose
      // lease expired and was taken over has another lock id and is left to its new holder.
      await em.nativeUpdate(
        WebhookDelivery,
        { id: { $in: rows.map((row) => row.id) }, lockId: { $in: distinctLocks(rows) } },
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
  private async release(rows: Array<Pick<Sendable, 'id' | 'lockId'>>): Promise<void> {
    if (rows.length === 0) return;
    await this.fork().nativeUpdate(
      WebhookDelivery,
      { id: { $in: rows.map((row) => row.id) }, lockId: { $in: distinctLocks(rows) } },
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
  private async deliver(delivery: Sendable, endpoints: EndpointCache, now: Date): Promise<Delivered | null> {
    const em = this.fork();
    const mine = { id: delivery.id, lockId: delivery.lockId };
    const endpoint = delivery.handed?.endpoint ?? (await this.endpointOf(delivery.endpointId, endpoints));
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
    const body = delivery.handed?.body ?? this.outbox.openPayload({ payload: delivery.payload! });
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

  /**
   * The queue gauges (two statements): at most once every GAUGE_INTERVAL_MS, drained or not, so an
   * idle replica's once-a-second poll costs one statement, not three.
   */
  private async observeQueue(now: Date): Promise<void> {
    if (performance.now() - this.lastObservedAt < GAUGE_INTERVAL_MS) return;
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

function distinctLocks(rows: Array<{ lockId?: string | null }>): string[] {
  return [...new Set(rows.map((row) => row.lockId!))];
}

export const WEBHOOK_DEFAULTS = { retryWindowMs: 3 * DAY_MS, disableAfterMs: 3 * DAY_MS } as const;
