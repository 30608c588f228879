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
  /** Step-up: the signed-in user proved a factor again (`reauthenticate`). */
  | 'reauthenticate'
  // Passkeys (issue 19): registration, removal, sign-in, and a signature counter that went backwards.
  | 'passkey_added'
  | 'passkey_removed'
  | 'passkey_sign_in'
  | 'passkey_clone_detected'
  // Social sign-in (issue 20)
  | 'social_sign_in'
  | 'identity_linked'
  | 'identity_unlinked'
  // Administration (issue 21): written with the actor and the target.
  | 'roles_changed'
  | 'admin_user_created'
  | 'admin_user_updated'
  | 'admin_user_disabled'
  | 'admin_user_enabled'
  | 'admin_user_unlocked'
  | 'admin_sessions_revoked'
  | 'admin_mfa_reset'
  | 'admin_password_reset_sent'
  | 'admin_user_deleted'
  | 'api_key_created'
  | 'api_key_revoked'
  | 'account_deleted'
  | 'profile_updated'
  // changeEmail (issue 21): requested (step-up), confirmed from the new address, undone from the old.
  | 'email_change_requested'
  | 'email_change_confirmed'
  | 'email_change_undone';

export type SecurityEventResult = 'success' | 'failure' | 'rejected' | 'challenge' | 'detected';

export interface SecurityEvent {
  kind: SecurityEventKind;
  result: SecurityEventResult;
  userId?: string | null;
  sessionId?: string | null;
  client?: ClientInfo | null;
  /** Who acted on `userId` when it was not the user: `user:<id>` or `key:<id>` (administration). */
  actor?: string | null;
  /** A short, non-secret detail (a reason, a key's name, `account-disabled`). */
  detail?: string | null;
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
