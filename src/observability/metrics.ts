import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the service exports, on a registry of its own (one per app instance, so
 * several instances in one test process never share counters). Names are a contract with
 * deployment/monitoring: rename only together with the rules and the dashboard.
 */
/** What the hashing queue tells at scrape time (see HashQueue): nothing is counted on the hot path. */
export interface HashQueueReadings {
  readonly depth: number;
  readonly inFlight: number;
  readonly abandoned: number;
}

/** What readiness tells at scrape time: every reason it knows, and the ones failing now. */
export interface ReadinessReadings {
  readonly reasonNames: readonly string[];
  readonly latest: { status: string; failed: readonly string[] } | null;
}

export class Metrics {
  readonly registry = new Registry();
  private hashQueue: HashQueueReadings | null = null;
  private readiness: ReadinessReadings | null = null;

  readonly httpRequests = new Counter({
    name: 'plinto_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'plinto_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly graphqlOperations = new Counter({
    name: 'plinto_graphql_operations_total',
    help: 'GraphQL operations by operation name, type and outcome',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly authEvents = new Counter({
    name: 'plinto_auth_events_total',
    help: 'Authentication events by kind and result',
    labelNames: ['event', 'result'] as const,
    registers: [this.registry],
  });

  readonly auditSinkFailures = new Counter({
    name: 'plinto_audit_sink_failures_total',
    help: 'Security events a sink (the audit trail, metrics) failed to record, by sink',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });

  readonly rateLimitRejections = new Counter({
    name: 'plinto_rate_limit_rejections_total',
    help: 'Requests refused by a rate limit, by GraphQL field',
    labelNames: ['field'] as const,
    registers: [this.registry],
  });

  readonly passwordHashDuration = new Histogram({
    name: 'plinto_password_hash_duration_seconds',
    help: 'Password hash and verify duration by scheme',
    labelNames: ['scheme'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2],
    registers: [this.registry],
  });

  readonly passwordHashQueueDepth: Gauge = new Gauge({
    name: 'plinto_password_hash_queue_depth',
    help: 'Password hashes waiting for a hashing slot (HASH_QUEUE_LIMIT bounds it)',
    registers: [this.registry],
    collect: (): void => this.passwordHashQueueDepth.set(this.hashQueue?.depth ?? 0),
  });

  readonly passwordHashesInFlight: Gauge = new Gauge({
    name: 'plinto_password_hashes_in_flight',
    help: 'Password hashes running now (HASH_CONCURRENCY bounds it)',
    registers: [this.registry],
    collect: (): void => this.passwordHashesInFlight.set(this.hashQueue?.inFlight ?? 0),
  });

  readonly passwordHashesAbandoned: Counter = new Counter({
    name: 'plinto_password_hashes_abandoned_total',
    help: 'Password hashes not started because the client closed its connection while waiting',
    registers: [this.registry],
    collect: () => {
      const total = this.hashQueue?.abandoned ?? 0;
      const counted = this.passwordHashesAbandoned;
      counted.reset();
      counted.inc(total);
    },
  });

  /** Breached-password look-ups by result: breached, clean, unavailable (timeout/outage: failed open). */
  readonly breachedPasswordChecks = new Counter({
    name: 'plinto_breached_password_checks_total',
    help: 'Breached-password range look-ups by result (unavailable = failed open)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly lockouts = new Counter({
    name: 'plinto_lockouts_total',
    help: 'Attempts answered with TooManyAttempts by the per-account failure counter',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'plinto_webhook_deliveries_total',
    help: 'Webhook delivery attempts by endpoint id and outcome (delivered, retry, failed)',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookDeliveryDuration = new Histogram({
    name: 'plinto_webhook_delivery_duration_seconds',
    help: 'Time of one webhook POST, answer or failure',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly webhookQueueDepth = new Gauge({
    name: 'plinto_webhook_queue_depth',
    help: 'Webhook deliveries waiting (pending, due or backing off)',
    registers: [this.registry],
  });

  readonly webhookOldestPendingSeconds = new Gauge({
    name: 'plinto_webhook_oldest_pending_seconds',
    help: 'Age of the oldest pending webhook delivery',
    registers: [this.registry],
  });

  readonly webhookEndpointsDisabled = new Counter({
    name: 'plinto_webhook_endpoints_disabled_total',
    help: 'Webhook endpoints disabled after 3 days of failed deliveries',
    registers: [this.registry],
  });

  readonly mailOutboxDepth = new Gauge({
    name: 'plinto_mail_outbox_depth',
    help: 'Mails waiting in the outbox',
    registers: [this.registry],
  });

  readonly mailSendFailures = new Counter({
    name: 'plinto_mail_send_failures_total',
    help: 'Failed mail delivery attempts',
    registers: [this.registry],
  });

  readonly mailSent = new Counter({
    name: 'plinto_mail_sent_total',
    help: 'Mails delivered',
    registers: [this.registry],
  });

  readonly expiredRowsDeleted = new Counter({
    name: 'plinto_expired_rows_deleted_total',
    help: 'Rows deleted by the expired-row sweeper, by table',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });

  /** Social sign-in (issue 20): outcomes per provider, failures by reason, the provider's latency. */
  readonly socialSignIns = new Counter({
    name: 'plinto_social_sign_ins_total',
    help: 'Social sign-in callbacks and ID tokens by provider and result (success or failure)',
    labelNames: ['provider', 'result'] as const,
    registers: [this.registry],
  });

  readonly socialFailures = new Counter({
    name: 'plinto_social_failures_total',
    help: 'Social sign-in failures by provider and reason (the #error code)',
    labelNames: ['provider', 'reason'] as const,
    registers: [this.registry],
  });

  readonly socialProviderDuration = new Histogram({
    name: 'plinto_social_provider_duration_seconds',
    help: 'Calls to a social provider (discovery, token, user API) by provider and operation',
    labelNames: ['provider', 'operation'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly liveSessions = new Gauge({
    name: 'plinto_sessions_live',
    help: 'Sessions neither revoked nor expired',
    registers: [this.registry],
  });

  readonly redisDegraded = new Gauge({
    name: 'plinto_redis_degraded',
    help: '1 while Redis is unreachable and the in-process insurance limiter is in use',
    registers: [this.registry],
  });

  readonly notReady: Gauge = new Gauge({
    name: 'plinto_not_ready',
    help: '1 for each reason /ready answers 503 now (a failing check: database, schema, secrets, …; or draining)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
    // The same checks as /ready, as last run by a probe or the periodic refresh (never per scrape:
    // /metrics must not make the database work).
    collect: (): void => {
      const report = this.readiness?.latest;
      if (!this.readiness || !report) return;
      const failing = new Set(report.status === 'draining' ? ['draining'] : report.failed);
      for (const reason of this.readiness.reasonNames)
        this.notReady.set({ reason }, failing.has(reason) ? 1 : 0);
    },
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'plinto_' });
  }

  observeHashQueue(queue: HashQueueReadings): void {
    this.hashQueue = queue;
  }

  observeReadiness(readiness: ReadinessReadings): void {
    this.readiness = readiness;
  }
}
