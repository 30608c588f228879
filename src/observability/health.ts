import { Router } from 'express';
import type { Orm } from '../storage/orm.js';

/** One named dependency check; `run` rejects (or outlives its timeout) when the dependency is down. */
export interface ReadinessCheck {
  name: string;
  timeoutMs: number;
  run(): Promise<unknown>;
}

export interface ReadinessReport {
  status: 'ready' | 'unavailable' | 'draining';
  failed: string[];
}

export function databaseCheck(orm: Orm, timeoutMs = 1500): ReadinessCheck {
  return { name: 'database', timeoutMs, run: () => orm.em.getConnection().execute('select 1') };
}

/**
 * The checks `/ready` runs, by name. Only what the app cannot serve without: PostgreSQL. Redis is
 * deliberately not here: without it every replica still serves (insurance limiter, liveness from
 * PostgreSQL), and a Redis outage must not take every pod out of the load balancer at once. It
 * shows as `plinto_redis_degraded` and its alert instead.
 */
export function readinessChecks(orm: Orm): ReadinessCheck[] {
  return [databaseCheck(orm)];
}

/**
 * Readiness: every named check passes, and the process is not shutting down. Checks run in
 * parallel, each bounded by its own timeout, so a hung dependency cannot hang the probe.
 */
export class Readiness {
  private draining = false;

  constructor(private readonly checks: ReadinessCheck[]) {}

  get isDraining(): boolean {
    return this.draining;
  }

  /** From now on the instance reports 503, so the load balancer stops sending it new work. */
  beginDrain(): void {
    this.draining = true;
  }

  async report(): Promise<ReadinessReport> {
    if (this.draining) return { status: 'draining', failed: [] };
    const results = await Promise.all(
      this.checks.map(async (check) => ((await passes(check)) ? null : check.name)),
    );
    const failed = results.filter((name): name is string => name !== null);
    return { status: failed.length ? 'unavailable' : 'ready', failed };
  }
}

async function passes(check: ReadinessCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), check.timeoutMs);
  });
  try {
    return await Promise.race([check.run().then(() => true as const), timeout]);
  } catch {
    return false;
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
    // Only the names of failing checks: driver error text could reveal hosts, users or versions.
    res.status(report.status === 'ready' ? 200 : 503).json(report);
  });
  return router;
}
