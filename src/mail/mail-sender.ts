import { inTransaction } from '../storage/transaction.js';
import type { EntityManager } from '@mikro-orm/core';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { MailOutboxEntry } from '../storage/entities/index.js';
import { claimLeased } from '../storage/leased-claim.js';
import type { MailComposer } from './mail-jobs.js';
import type { MailOutbox } from './mail-outbox.js';
import type { MailTransport } from './mail-transport.js';
import { describeFailure, isPermanentFailure } from './mail-transport.js';
import type { MailMessage } from './templates.js';

/** How often `plinto_mail_outbox_depth` is recounted (a third of Prometheus's usual scrape interval). */
const DEPTH_INTERVAL_MS = 5000;

export interface MailSenderSettings {
  pollIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long a claim holds; longer than one delivery attempt can take. */
  leaseMs: number;
  batchSize: number;
}

class LostClaim extends Error {}

/**
 * Delivers the outbox in the background. Several instances may share one database: a row is
 * claimed with a conditional update (only one instance wins it), and a claim that outlives a
 * crashed instance expires so that another one delivers the mail. Failures are retried with
 * exponential back-off, without limit, so a long SMTP outage delays mail but loses none.
 */
export class MailSender {
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;
  private wakeRequested = false;

  constructor(
    private readonly fork: () => EntityManager,
    private readonly outbox: MailOutbox,
    private readonly composer: MailComposer,
    private readonly transport: MailTransport,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly settings: MailSenderSettings,
  ) {
    outbox.onEnqueued(() => this.wake());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** New mail: run now rather than at the next poll (never on the request's own time). */
  wake(): void {
    if (!this.running) return;
    if (this.current) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops polling and waits (bounded) for the delivery in progress; unfinished claims simply expire. */
  async stop(waitMs = 5000): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.current) {
      await Promise.race([this.current, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
    }
    this.transport.close();
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
      (error: unknown) => this.logger.warn({ err: error }, 'mail sender tick failed'),
    );
    await this.current;
    this.current = null;
    if (this.running) this.schedule(more || this.wakeRequested ? 0 : this.settings.pollIntervalMs);
  }

  /** One pass over due mail; true when the batch was full (more may be waiting). */
  async tick(): Promise<boolean> {
    const em = this.fork();
    const claimed = await this.claim(em);
    for (const entry of claimed) {
      if (!this.running) break;
      try {
        await this.deliver(this.fork(), entry);
      } catch (error) {
        // The claim expires and the row is tried again; one broken row never stops the others.
        this.logger.error(
          { err: { message: (error as Error).message }, mailId: entry.id },
          'mail job failed',
        );
      }
    }
    // A count(*) a pass would be most of an idle poll's cost: recounted at most every 5 s.
    if (performance.now() - this.depthObservedAt >= DEPTH_INTERVAL_MS) {
      this.depthObservedAt = performance.now();
      this.metrics.mailOutboxDepth.set(await this.fork().count(MailOutboxEntry, { failedAt: null }));
    }
    return claimed.length === this.settings.batchSize;
  }

  private depthObservedAt = -Infinity;

  private claim(em: EntityManager): Promise<MailOutboxEntry[]> {
    // Leased like the webhook outbox (storage/leased-claim.ts): of several instances, one wins each row.
    return claimLeased(
      em,
      MailOutboxEntry,
      { failedAt: null },
      {
        now: new Date(),
        leaseMs: this.settings.leaseMs,
        limit: this.settings.batchSize,
      },
    );
  }

  private async deliver(em: EntityManager, entry: MailOutboxEntry): Promise<void> {
    const mine = { id: entry.id, lockId: entry.lockId };
    let message: MailMessage | null;
    try {
      message = entry.message ? this.outbox.openMessage(entry.message) : await this.compose(em, entry);
    } catch (error) {
      if (error instanceof LostClaim) return;
      throw error;
    }
    if (!message) return;
    try {
      await this.transport.send(message);
    } catch (error) {
      await this.recordFailure(em, entry, error);
      return;
    }
    await em.nativeDelete(MailOutboxEntry, mine);
    this.metrics.mailSent.inc();
  }

  /**
   * Composes the job once, in one transaction with its token: a retry re-sends the same mail
   * instead of issuing a new token (which would make an already delivered link stale).
   */
  private async compose(em: EntityManager, entry: MailOutboxEntry): Promise<MailMessage | null> {
    const mine = { id: entry.id, lockId: entry.lockId };
    return inTransaction(em, async (tx) => {
      const message = await this.composer.compose(tx, this.outbox.openJob(entry));
      if (!message) {
        await tx.nativeDelete(MailOutboxEntry, mine);
        return null;
      }
      const updated = await tx.nativeUpdate(MailOutboxEntry, mine, {
        message: this.outbox.sealMessage(message),
      });
      // Our claim expired and another instance took the row: roll back our token, let it send.
      if (updated !== 1) throw new LostClaim();
      return message;
    });
  }

  private async recordFailure(em: EntityManager, entry: MailOutboxEntry, error: unknown): Promise<void> {
    this.metrics.mailSendFailures.inc();
    const attempts = entry.attempts + 1;
    const permanent = isPermanentFailure(error);
    const reason = describeFailure(error);
    this.logger.warn(
      { mailId: entry.id, kind: entry.kind, attempts, permanent, reason },
      permanent ? 'mail refused by the SMTP server; not retried' : 'mail delivery failed; will retry',
    );
    const now = Date.now();
    await em.nativeUpdate(
      MailOutboxEntry,
      { id: entry.id, lockId: entry.lockId },
      {
        attempts,
        lastError: reason,
        lockId: null,
        lockedUntil: null,
        nextAttemptAt: new Date(now + this.backoffMs(attempts)),
        failedAt: permanent ? new Date(now) : null,
      },
    );
  }

  /** Exponential back-off with ±20 % jitter, so that instances do not retry in lock-step. */
  backoffMs(attempts: number): number {
    const exponential = this.settings.retryBaseMs * 2 ** Math.min(attempts - 1, 30);
    const capped = Math.min(exponential, this.settings.retryMaxMs);
    return Math.round(capped * (0.8 + Math.random() * 0.4));
  }
}
