import type { Metrics } from './metrics.js';

/** How often `plinto_sessions_live` is recounted: Prometheus's usual scrape interval. */
export const LIVE_SESSIONS_INTERVAL_MS = 15_000;

/**
 * Keeps `plinto_sessions_live` current on a timer. Never per scrape: a `count(*)` over the
 * sessions table on every request to /metrics would let whoever can reach it load the database.
 */
export class LiveSessionsGauge {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly metrics: Metrics,
    private readonly countLive: () => Promise<number>,
    private readonly intervalMs = LIVE_SESSIONS_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Recounts now; while the database is unreachable the gauge keeps its last value (/ready tells that story). */
  async refresh(): Promise<void> {
    try {
      this.metrics.liveSessions.set(await this.countLive());
    } catch {
      // keep the last value
    }
  }
}
