import type { EntityManager, EntityName, FilterQuery } from '@mikro-orm/core';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import {
  ApiKey,
  MailOutboxEntry,
  MfaChallenge,
  OAuthCode,
  OAuthRequest,
  OneTimeToken,
  PasskeyChallenge,
  RefreshToken,
  Session,
  User,
  WebhookDelivery,
} from './entities/index.js';

export interface ExpiredRowSweeperSettings {
  /** Seconds between runs; 0 = never on a timer (`sweepOnce` still works). */
  intervalSeconds: number;
  /** Days a session (and its refresh tokens) is kept after it expired or was revoked. */
  sessionRetentionDays: number;
  /** Days a refresh token, MFA challenge or emailed one-time token is kept after its own expiry. */
  tokenRetentionDays: number;
  /** Days a mail the SMTP server refused for good stays in the outbox. */
  failedMailRetentionDays: number;
  /**
   * SIGNUP_MODE=verify-first: seconds after sign-up that a never-verified account is deleted, so a
   * pre-registered address is free again (null: never, as in immediate mode, where unverified
   * accounts are ordinary accounts).
   */
  unverifiedAccountLifetimeSeconds?: number | null;
  /** Days a delivered or failed webhook delivery stays (its history in webhookDeliveries); default 14. */
  webhookRetentionDays?: number;
  /** Rows per DELETE: short statements hold few locks and never stall the flows that share the tables. */
  batchSize: number;
}

/**
 * The only tables the sweeper touches. Signing keys, recovery codes and audit events are never
 * swept; of users, only never-verified accounts past their lifetime (verify-first mode).
 */
export const SWEPT_TABLES = [
  'users',
  'one_time_tokens',
  'mfa_challenges',
  'refresh_tokens',
  'sessions',
  'mail_outbox',
  'passkey_challenges',
  'oauth_requests',
  'oauth_codes',
  'api_keys',
  'webhook_deliveries',
] as const;
export type SweptTable = (typeof SWEPT_TABLES)[number];

export interface SweptRows {
  rows: number;
  /** DELETE statements run (each removes at most `batchSize` rows). */
  batches: number;
}
export type SweepReport = Record<SweptTable, SweptRows>;

const DAY_MS = 86_400_000;

/**
 * Deletes rows that can no longer matter, so these tables stop growing forever. Every DELETE is
 * conditional on the row still being sweepable, so several replicas may sweep at once: a row one
 * of them deleted is simply not counted by the others. A failed run (database down) is logged and
 * the next interval tries again; it never throws out of the timer.
 */
export class ExpiredRowSweeper {
  private running = false;
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;

  constructor(
    private readonly fork: () => EntityManager,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly settings: ExpiredRowSweeperSettings,
  ) {
    // Every table's series exists from the start, so rate() sees the first deletions.
    for (const table of SWEPT_TABLES) metrics.expiredRowsDeleted.inc({ table }, 0);
  }

  start(): void {
    if (this.running || this.settings.intervalSeconds === 0) return;
    this.running = true;
    this.stopping = false;
    // The first run at a random point of the first interval: replicas started together spread out.
    this.schedule(Math.random() * this.settings.intervalSeconds * 1000);
  }

  /** Stops the timer and waits (bounded) for a run in progress, which stops after its current batch. */
  async stop(waitMs = 5000): Promise<void> {
    this.running = false;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.current) {
      await Promise.race([this.current, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
    }
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => void this.run(), delayMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    this.timer = null;
    if (!this.running || this.current) return;
    this.current = this.sweepOnce().then(
      (report) => {
        const deleted = Object.fromEntries(
          SWEPT_TABLES.filter((t) => report[t].rows > 0).map((t) => [t, report[t].rows]),
        );
        if (Object.keys(deleted).length > 0) this.logger.info({ deleted }, 'expired rows deleted');
      },
      (error: unknown) => {
        // The error's class and driver code only: a query error's message quotes the SQL and its values.
        const { name, code } = error as { name?: string; code?: string };
        this.logger.warn(
          { error: name ?? 'unknown', driverCode: code ?? null },
          'expired-row sweep failed; retrying at the next interval',
        );
      },
    );
    await this.current;
    this.current = null;
    if (this.running) this.schedule(this.settings.intervalSeconds * 1000);
  }

  /** One pass over every swept table; `now` is the reference time of every retention. */
  async sweepOnce(now: Date = new Date()): Promise<SweepReport> {
    const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const sessionCutoff = before(this.settings.sessionRetentionDays);
    const tokenCutoff = before(this.settings.tokenRetentionDays);
    const mailCutoff = before(this.settings.failedMailRetentionDays);
    const endedSession = {
      $or: [{ expiresAt: { $lt: sessionCutoff } }, { revokedAt: { $lt: sessionCutoff } }],
    };
    const report = Object.fromEntries(SWEPT_TABLES.map((t) => [t, { rows: 0, batches: 0 }])) as SweepReport;

    // An emailed link or MFA challenge past its expiry is refused anyway; a day more helps support only.
    await this.sweep(report, 'one_time_tokens', OneTimeToken, 'tokenHash', {
      expiresAt: { $lt: tokenCutoff },
    });
    await this.sweep(report, 'mfa_challenges', MfaChallenge, 'tokenHash', {
      expiresAt: { $lt: tokenCutoff },
    });
    // A refresh token past its expiry is refused before reuse detection looks at it: nothing needs it.
    await this.sweep(report, 'refresh_tokens', RefreshToken, 'tokenHash', {
      expiresAt: { $lt: tokenCutoff },
    });
    // The ended sessions' tokens first, in bounded batches: the ON DELETE CASCADE of a session with
    // thousands of rotations would otherwise delete them all in one statement.
    await this.sweep(report, 'refresh_tokens', RefreshToken, 'tokenHash', { session: endedSession });
    // Ended sessions stay for a while: they explain the audit trail's session ids. An ended
    // session never comes back (refresh refuses revoked and expired ones), so deleting it is safe.
    await this.sweep(report, 'sessions', Session, 'id', endedSession);
    // Delivered mail is deleted on delivery; only mail refused for good lingers. Waiting mail is never swept.
    await this.sweep(report, 'mail_outbox', MailOutboxEntry, 'id', { failedAt: { $lt: mailCutoff } });
    // A never-verified account past its lifetime (its verification link is dead by then): the
    // address is free again, and a pre-registered account cannot wait for its victim forever.
    const unverifiedLifetime = this.settings.unverifiedAccountLifetimeSeconds;
    if (unverifiedLifetime) {
      await this.sweep(report, 'users', User, 'id', {
        emailVerifiedAt: null,
        createdAt: { $lt: new Date(now.getTime() - unverifiedLifetime * 1000) },
      });
    }
    // A WebAuthn challenge lives five minutes; past that it is refused whether or not it was used.
    await this.sweep(report, 'passkey_challenges', PasskeyChallenge, 'challengeHash', {
      expiresAt: { $lt: tokenCutoff },
    });
    // A social sign-in in progress (10 minutes) or its Plinto code (60 seconds) past expiry is refused anyway.
    await this.sweep(report, 'oauth_requests', OAuthRequest, 'stateHash', {
      expiresAt: { $lt: tokenCutoff },
    });
    await this.sweep(report, 'oauth_codes', OAuthCode, 'codeHash', { expiresAt: { $lt: tokenCutoff } });
    // An API key expired or revoked longer ago than sessions are kept: its audit events still name it.
    await this.sweep(report, 'api_keys', ApiKey, 'id', {
      $or: [{ expiresAt: { $lt: sessionCutoff } }, { revokedAt: { $lt: sessionCutoff } }],
    });
    // Webhook deliveries that ended (delivered or failed) go after their retention; pending ones never.
    const webhookCutoff = before(this.settings.webhookRetentionDays ?? 14);
    await this.sweep(report, 'webhook_deliveries', WebhookDelivery, 'id', {
      $or: [{ deliveredAt: { $lt: webhookCutoff } }, { failedAt: { $lt: webhookCutoff } }],
    });
    return report;
  }

  /** Deletes the rows matching `where`, at most `batchSize` per statement, until a batch comes back short. */
  private async sweep<T extends object>(
    report: SweepReport,
    table: SweptTable,
    entity: EntityName<T>,
    key: keyof T & string,
    where: FilterQuery<T>,
  ): Promise<void> {
    const em = this.fork();
    const { batchSize } = this.settings;
    for (;;) {
      const batch = await em.find(entity, where, {
        fields: [key] as never,
        limit: batchSize,
        disableIdentityMap: true,
      });
      if (batch.length === 0) return;
      const keys = batch.map((row) => row[key]);
      // The condition again: a row that changed since it was read stays, and one another replica
      // deleted in between is not counted here.
      const deleted = await em.nativeDelete(entity, {
        $and: [{ [key]: { $in: keys } }, where],
      } as FilterQuery<T>);
      report[table].rows += deleted;
      report[table].batches += 1;
      this.metrics.expiredRowsDeleted.inc({ table }, deleted);
      if (batch.length < batchSize || this.stopping) return;
    }
  }
}
