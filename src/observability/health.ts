import { Router } from 'express';
import type { SecretBox } from '../security/crypto.js';
import { SEALED_COLUMNS, scanSealedValues } from '../security/sealed-values.js';
import { pendingMigrations } from '../storage/schema-status.js';
import type { Orm } from '../storage/orm.js';

/** One named dependency check; `run` rejects (or outlives its timeout) when the dependency is down. */
export interface ReadinessCheck {
  name: string;
  timeoutMs: number;
  run(): Promise<unknown>;
  /** A check this one reads through: while that one fails, this one's failure is not reported twice. */
  needs?: string;
}

/** A check's failure with a reason in our own words (safe to show: never driver text). */
export class NotReady extends Error {}

export interface ReadinessReport {
  status: 'ready' | 'unavailable' | 'draining';
  failed: string[];
  /** Per failed check, why (only when something failed). */
  reasons?: Record<string, string>;
}

export function databaseCheck(orm: Orm, timeoutMs = 1500): ReadinessCheck {
  return { name: 'database', timeoutMs, run: () => orm.em.getConnection().execute('select 1') };
}

/** The schema is at this build's latest migration (a database restored from an old backup is not). */
export function schemaCheck(orm: Orm, timeoutMs = 1500): ReadinessCheck {
  return {
    name: 'schema',
    timeoutMs,
    needs: 'database',
    run: async () => {
      const pending = await pendingMigrations(orm);
      if (pending.length > 0) {
        throw new NotReady(`${pending.length} pending migration(s): run the migration command`);
      }
    },
  };
}

/** AUTH_SECRET (or AUTH_SECRET_PREVIOUS) opens the stored signing keys (a database sealed elsewhere does not). */
export function sealedValuesCheck(orm: Orm, box: SecretBox, timeoutMs = 1500): ReadinessCheck {
  const signingKeys = SEALED_COLUMNS.filter((c) => c.label === 'signing keys');
  return {
    name: 'secrets',
    timeoutMs,
    needs: 'database',
    run: async () => {
      const [scan] = await scanSealedValues(() => orm.em.fork(), box, { columns: signingKeys });
      if (scan && scan.unopenable > 0) {
        throw new NotReady('AUTH_SECRET cannot open the stored signing keys');
      }
    },
  };
}

/**
 * The checks `/ready` runs, by name. Only what the app cannot serve without: PostgreSQL, at this
 * build's schema, with signing keys AUTH_SECRET opens. Redis is deliberately not here: without it
 * every replica still serves (insurance limiter, liveness from PostgreSQL), and a Redis outage must
 * not take every pod out of the load balancer at once. It shows as `plinto_redis_degraded` and its
 * alert instead.
 */
export function readinessChecks(orm: Orm, box: SecretBox): ReadinessCheck[] {
  return [databaseCheck(orm), schemaCheck(orm), sealedValuesCheck(orm, box)];
}

/**
 * Readiness: every named check passes, and the process is not shutting down. Checks run in
 * parallel, each bounded by its own timeout, so a hung dependency cannot hang the probe.
 */
export class Readiness {
  private draining = false;
  private lastReport: ReadinessReport | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly checks: ReadinessCheck[]) {}

  get isDraining(): boolean {
    return this.draining;
  }

  /** From now on the instance reports 503, so the load balancer stops sending it new work. */
  beginDrain(): void {
    this.draining = true;
  }

  /** The names of the checks (and `draining`): every reason `plinto_not_ready` can carry. */
  get reasonNames(): string[] {
    return [...this.checks.map((check) => check.name), 'draining'];
  }

  /**
   * Runs the checks every `intervalMs` as well as on each /ready probe, so that `plinto_not_ready`
   * is current without any probe and a scrape of /metrics never makes the database work.
   */
  startPeriodic(intervalMs = 15_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.report().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stopPeriodic(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The outcome of the last /ready probe or timer run (null before the first): metrics read it without I/O. */
  get latest(): ReadinessReport | null {
    return this.draining ? { status: 'draining', failed: [] } : this.lastReport;
  }

  async report(): Promise<ReadinessReport> {
    const report = await this.run();
    this.lastReport = report;
    return report;
  }

  private async run(): Promise<ReadinessReport> {
    if (this.draining) return { status: 'draining', failed: [] };
    const results = await Promise.all(
      this.checks.map(async (check) => [check.name, await failure(check)] as const),
    );
    const failedNames = new Set(results.filter((r) => r[1] !== null).map(([name]) => name));
    const failures = results.filter(
      (r, i): r is readonly [string, string] =>
        r[1] !== null && !failedNames.has(this.checks[i]?.needs ?? ''),
    );
    if (failures.length === 0) return { status: 'ready', failed: [] };
    return {
      status: 'unavailable',
      failed: failures.map(([name]) => name),
      reasons: Object.fromEntries(failures),
    };
  }
}

/** Null when the check passes, else why it failed. */
async function failure(check: ReadinessCheck): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${check.timeoutMs} ms`), check.timeoutMs);
  });
  try {
    return await Promise.race([check.run().then(() => null), timeout]);
  } catch (error) {
    // Only our own words: a driver's error text could reveal hosts, users or versions.
    return error instanceof NotReady ? error.message : 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /health` (alive: checks nothing) and `GET /ready` (named checks, draining). */
export function probeRoutes(readiness: Readiness): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    const report = await readiness.report();
    res.set('Cache-Control', 'no-store');
    // Names of failing checks and reasons in our own words: driver error text could reveal hosts, users or versions.
    res.status(report.status === 'ready' ? 200 : 503).json(report);
  });
  return router;
}
