import type { EntityManager } from '@mikro-orm/core';
import type { ClientInfo } from '../auth/client-info.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export type SecurityEventKind =
  | 'sign_up'
  | 'sign_in'
  | 'sign_out'
  | 'session_revoked'
  | 'refresh'
  | 'refresh_grace'
  | 'refresh_reuse_detected'
  | 'password_changed'
  | 'password_reset'
  | 'email_verified'
  | 'magic_link'
  | 'mfa'
  | 'mfa_enabled'
  | 'mfa_disabled'
  | 'recovery_code_used'
  // Administration (issue 21): written with the actor and the target.
  | 'roles_changed';

export type SecurityEventResult = 'success' | 'failure' | 'rejected' | 'challenge' | 'detected';

export interface SecurityEvent {
  kind: SecurityEventKind;
  result: SecurityEventResult;
  userId?: string | null;
  sessionId?: string | null;
  client?: ClientInfo | null;
  /** The transaction's EntityManager when the event is recorded inside one (see inTransaction). */
  em?: EntityManager;
}

/** Where security events go: the metrics counter, the audit trail, … */
export interface SecurityEventSink {
  /** Label of plinto_audit_sink_failures_total: a fixed word per sink. */
  readonly name: string;
  record(event: SecurityEvent): Promise<void>;
}

/**
 * Every flow reports what happened here, once; the sinks turn it into metrics and audit rows,
 * so a counter and the audit trail can never disagree about what happened.
 */
export class SecurityEvents {
  constructor(
    private readonly sinks: SecurityEventSink[],
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  addSink(sink: SecurityEventSink): void {
    this.sinks.push(sink);
  }

  async record(event: SecurityEvent): Promise<void> {
    for (const sink of this.sinks) {
      try {
        await sink.record(event);
      } catch (error) {
        // The flow goes on (an audit outage must not stop sign-in), but never silently: counted and alerted on.
        this.metrics.auditSinkFailures.inc({ sink: sink.name });
        this.logger.error({ err: error, kind: event.kind, sink: sink.name }, 'security event sink failed');
      }
    }
  }
}

export class MetricsEventSink implements SecurityEventSink {
  readonly name = 'metrics';
  constructor(private readonly metrics: Metrics) {}

  async record(event: SecurityEvent): Promise<void> {
    this.metrics.authEvents.inc({ event: event.kind, result: event.result });
  }
}
