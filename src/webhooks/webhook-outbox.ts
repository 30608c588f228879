import type { EntityManager } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../security/crypto.js';
import { WebhookDelivery, WebhookEndpoint } from '../storage/entities/index.js';
import { onCommit } from '../storage/transaction.js';
import type { WebhookEvent, WebhookPayload } from './webhook-events.js';
import { assertNoSecrets, TEST_EVENT_TYPE, WEBHOOK_EVENT_VERSIONS } from './webhook-events.js';

export const PAYLOAD_PURPOSE = 'webhook-payload';

/** What flows depend on: one call, inside the change's transaction. */
export interface WebhookEmitter {
  /** Writes the event's deliveries with `em`, the transaction of the change; returns how many. */
  emit(em: EntityManager, event: WebhookEvent, now?: Date): Promise<number>;
  /**
   * PostgreSQL: the event's deliveries written by the statement that makes the change itself
   * (see InlineDeliveries). `anchor` names that statement's CTE of the change: deliveries are
   * written only when it produced a row. Absent (an emitter recording events in a test): callers
   * write the change and emit() in a transaction instead.
   */
  inline?(em: EntityManager, event: WebhookEvent, anchor: string, now?: Date): InlineDeliveries;
}

/**
 * An event's deliveries as part of the one statement that makes the change (PostgreSQL), instead
 * of a read of the endpoints and an insert in a transaction around the change: a sign-up was 7
 * statements, 13 with one endpoint (BEGIN, the user, the endpoints, the deliveries, COMMIT, the
 * user read again, the session with its own transaction, the audit event), and each costs this VM
 * a loopback round trip (issue 22, sign-up profile). Atomic as the rest is: the statement commits
 * the change and its deliveries together, or (inside a transaction) they commit or roll back
 * with it. The subscription test is subscribedTo's (the exact type among the comma-separated ones).
 */
export interface InlineDeliveries {
  /** Two CTEs (`webhook_subscribed`, `webhook_written`), to follow the statement's own: starts with a comma. */
  ctes: string;
  /** Their parameters, after those of the statement's own CTEs (no parameter in `column`). */
  params: unknown[];
  /** A column for the statement's final select: the deliveries written, as JSON (`webhook_deliveries`). */
  column: string;
  /**
   * After the statement, with that column's value: hands the deliveries to this replica's
   * dispatcher once they are committed (or wakes it); returns how many were written.
   */
  written(value: unknown): number;
}

/** What InlineDeliveries.column holds, a row per delivery written. */
interface WrittenDelivery {
  id: string;
  endpoint: Record<string, unknown>;
}

const NO_INLINE: InlineDeliveries = {
  ctes: '',
  params: [],
  column: `'[]'::jsonb as webhook_deliveries`,
  written: () => 0,
};

/**
 * A delivery written already leased to this replica's running dispatcher, handed to it in memory
 * once the transaction commits: it is sent without a claim (three statements) or a read of its
 * row, endpoint and sealed payload. If the replica dies first, the lease expires and any replica
 * claims the row from the table, as it would a claim whose holder died.
 */
export interface HandedOffDelivery {
  id: string;
  lockId: string;
  endpoint: WebhookEndpoint;
  eventId: string;
  /** The payload in clear (the row holds it sealed). */
  body: string;
  queuedAt: Date;
  /** performance.now() when the lease began: no attempt starts too late in it. */
  leasedAt: number;
}

/** The running dispatcher's side of the hand-off (src/webhooks/webhook-dispatcher.ts). */
export interface HandOffTarget {
  /** A lease for `count` new rows, or null (not running, stopping, or enough already waiting in memory). */
  lease(count: number): { lockId: string; leaseMs: number } | null;
  /** Called after the commit with the rows written under that lease. */
  take(deliveries: HandedOffDelivery[]): void;
}

/** For code built without webhooks (unit tests, tools): emits nothing. */
export const NO_WEBHOOKS: WebhookEmitter = { emit: async () => 0, inline: () => NO_INLINE };

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
  private handOff: HandOffTarget | null = null;

  constructor(private readonly box: SecretBox) {}

  /** The dispatcher registers here to be woken when a delivery is waiting, instead of at the next poll. */
  onEmitted(listener: () => void): void {
    this.listener = listener;
  }

  /** The dispatcher of this replica takes deliveries emitted here straight after their commit. */
  handOffTo(target: HandOffTarget): void {
    this.handOff = target;
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
    // Whole rows: a delivery handed off to this replica's dispatcher is sent with what is read here.
    const endpoints = await em.find(WebhookEndpoint, { disabledAt: null }, { disableIdentityMap: true });
    const targets = endpoints.filter((endpoint) => subscribedTo(endpoint, event.type));
    if (targets.length === 0) return 0;
    await this.insert(em, targets, this.payloadOf(event, now), now);
    return targets.length;
  }

  inline(em: EntityManager, event: WebhookEvent, anchor: string, now: Date = new Date()): InlineDeliveries {
    assertNoSecrets(event.data);
    const payload = this.payloadOf(event, now);
    const body = JSON.stringify(payload);
    // Leased before the statement (the rows carry the lease), used only if it writes some.
    const queue: HandedOffDelivery[] = [];
    const inTransaction = em.isInTransaction();
    let lease = this.handOff?.lease(1) ?? null;
    if (lease && inTransaction && !onCommit(em, () => this.handOver(queue))) lease = null;
    const leasedAt = performance.now();
    return {
      ctes: `, webhook_subscribed as (
  select * from webhook_endpoints where disabled_at is null and ? = any(string_to_array(events, ','))
), webhook_written as (
  insert into webhook_deliveries
    (id, endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at, queued_at, lock_id, locked_until)
  select gen_random_uuid(), e.id, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?
  from webhook_subscribed e where exists (select 1 from ${anchor})
  returning id, endpoint_id
)`,
      params: [
        event.type,
        payload.id,
        payload.type,
        this.box.seal(PAYLOAD_PURPOSE, body),
        now,
        now,
        now,
        lease?.lockId ?? null,
        // Wall clock, as claims compare it with theirs.
        lease ? new Date(Date.now() + lease.leaseMs) : null,
      ],
      column: `(select coalesce(jsonb_agg(jsonb_build_object('id', w.id, 'endpoint', to_jsonb(e))), '[]'::jsonb)
  from webhook_written w join webhook_subscribed e on e.id = w.endpoint_id) as webhook_deliveries`,
      written: (value) => {
        const rows = (typeof value === 'string' ? JSON.parse(value) : value) as WrittenDelivery[];
        if (rows.length === 0) return 0;
        if (!lease) {
          // Not leased: the dispatcher claims them from the table, woken once they are committed.
          if (!(inTransaction && onCommit(em, () => Promise.resolve(this.listener?.())))) {
            this.wakeDispatcher();
          }
          return rows.length;
        }
        for (const row of rows) {
          queue.push({
            id: row.id,
            lockId: lease.lockId,
            endpoint: em.map(WebhookEndpoint, row.endpoint),
            eventId: payload.id,
            body,
            queuedAt: now,
            leasedAt,
          });
        }
        // Autocommitted: the statement was the commit. Otherwise onCommit hands them over.
        if (!inTransaction) void this.handOver(queue);
        return rows.length;
      },
    };
  }

  /** After the commit: the leased deliveries to this replica's dispatcher (none: nothing to do). */
  private handOver(queue: HandedOffDelivery[]): Promise<void> {
    if (queue.length > 0) this.handOff?.take(queue);
    return Promise.resolve();
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
    const [id] = await this.insert(em, [{ id: endpointId }], payload, now, false);
    return id!;
  }

  private payloadOf(event: WebhookEvent, now: Date): WebhookPayload {
    return {
      type: event.type,
      version: WEBHOOK_EVENT_VERSIONS[event.type],
      id: randomUUID(),
      timestamp: now.toISOString(),
      data: event.data as unknown as Record<string, unknown>,
    };
  }

  openPayload(delivery: Pick<WebhookDelivery, 'payload'>): string {
    return this.box.open(PAYLOAD_PURPOSE, delivery.payload);
  }

  private async insert(
    em: EntityManager,
    targets: readonly { id: string }[] | readonly WebhookEndpoint[],
    payload: WebhookPayload,
    now: Date,
    handOff = true,
  ): Promise<string[]> {
    const body = JSON.stringify(payload);
    const sealed = this.box.seal(PAYLOAD_PURPOSE, body);
    // Handed off only from a transaction whose commit can be awaited (inTransaction): never sent
    // before the change is committed, never at all if it rolls back.
    const queue: HandedOffDelivery[] = [];
    const committed = () => {
      if (queue.length > 0) this.handOff?.take(queue);
      else this.listener?.();
      return Promise.resolve();
    };
    const lease = handOff && em.isInTransaction() ? this.handOff?.lease(targets.length) : null;
    const leased = lease && onCommit(em, committed) ? lease : null;
    const leasedAt = performance.now();
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
      lockId: leased?.lockId ?? null,
      // Wall clock, as claims compare it with theirs.
      lockedUntil: leased ? new Date(Date.now() + leased.leaseMs) : null,
    }));
    if (rows.length === 1) await em.insert(WebhookDelivery, rows[0]!);
    else await em.insertMany(WebhookDelivery, rows);
    if (leased) {
      targets.forEach((endpoint, i) =>
        queue.push({
          id: rows[i]!.id,
          lockId: leased.lockId,
          endpoint: endpoint as WebhookEndpoint,
          eventId: payload.id,
          body,
          queuedAt: now,
          leasedAt,
        }),
      );
    } else if (!onCommit(em, committed)) {
      // Not in an inTransaction (or no dispatcher here): woken at once, the claim may come before
      // the commit and find nothing; the next poll then sends it.
      const listener = this.listener;
      if (listener) setImmediate(listener);
    }
    return rows.map((row) => row.id);
  }
}
