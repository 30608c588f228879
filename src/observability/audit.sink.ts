import { randomUUID } from 'node:crypto';
import { toDbDate } from '../storage/db-values.js';
import type { Orm } from '../storage/orm.js';
import type { SecurityEvent, SecurityEventSink } from './security-events.js';

/**
 * Plain SQL, portable to PostgreSQL and SQLite: every sign-in writes one, and MikroORM's insert
 * built a query (and, outside a transaction, forked an EntityManager) for it (issue 24, profile).
 */
const INSERT_AUDIT_EVENT = `insert into audit_events
  (id, kind, result, user_id, session_id, ip, user_agent, actor, detail, created_at)
  values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

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
    const em = event.em ?? this.orm.em;
    await em
      .getConnection()
      .execute(
        INSERT_AUDIT_EVENT,
        [
          randomUUID(),
          event.kind,
          event.result,
          event.userId ?? null,
          event.sessionId ?? null,
          event.client?.ip?.slice(0, 64) ?? null,
          event.client?.userAgent?.slice(0, 512) ?? null,
          event.actor ?? null,
          event.detail?.slice(0, 200) ?? null,
          toDbDate(em, new Date()),
        ],
        'run',
        event.em?.getTransactionContext(),
      );
  }
}
