import { randomUUID } from 'node:crypto';
import { AuditEvent } from '../storage/entities/index.js';
import type { Orm } from '../storage/orm.js';
import type { SecurityEvent, SecurityEventSink } from './security-events.js';

/**
 * Writes security events to the append-only audit table, any kind, with the client's ip and
 * user agent. A routine token refresh is the one exception: it happens every few minutes per
 * device and would bury the events a user or an investigator is looking for (reuse detection
 * and failures are still written).
 */
export class AuditEventSink implements SecurityEventSink {
  readonly name = 'audit';
  constructor(private readonly orm: Orm) {}

  async record(event: SecurityEvent): Promise<void> {
    if (event.kind === 'refresh' && event.result === 'success') return;
    // Inside a flow's transaction the flow passes its EntityManager and the row joins it: a second
    // connection would wait on the transaction's lock (SQLite blocks the whole process) and the
    // row would outlive a rollback.
    const em = event.em ?? this.orm.em.fork();
    await em.insert(AuditEvent, {
      id: randomUUID(),
      kind: event.kind,
      result: event.result,
      userId: event.userId ?? null,
      sessionId: event.sessionId ?? null,
      ip: event.client?.ip?.slice(0, 64) ?? null,
      userAgent: event.client?.userAgent?.slice(0, 512) ?? null,
      actor: event.actor ?? null,
      detail: event.detail?.slice(0, 200) ?? null,
      createdAt: new Date(),
    });
  }
}
