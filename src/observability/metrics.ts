import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the service exports, on a registry of its own (one per app instance, so
 * several instances in one test process never share counters). Names are a contract with
 * deployment/monitoring: rename only together with the rules and the dashboard.
 */
export class Metrics {
  readonly registry = new Registry();

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

  readonly lockouts = new Counter({
    name: 'plinto_lockouts_total',
    help: 'Attempts answered with TooManyAttempts by the per-account failure counter',
    labelNames: ['kind'] as const,
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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'plinto_' });
  }
}
