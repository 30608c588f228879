import { PortableMigration } from './portable-migration.js';

/**
 * The audit trail's append-only trigger fired on UPDATE and DELETE but not on TRUNCATE, which
 * empties a table without firing row triggers: `truncate audit_events` through the app's own
 * connection erased history. A statement-level BEFORE TRUNCATE trigger refuses it (PostgreSQL).
 * SQLite has no TRUNCATE statement; its "truncate optimisation" of an unqualified DELETE is off
 * whenever the table has a DELETE trigger, and audit_events has one, so nothing is needed there.
 */
export class Migration20261201040000_audit_truncate extends PortableMigration {
  override async up(): Promise<void> {
    if (!this.isPostgres) return;
    this.addSql(`create trigger "audit_events_no_truncate" before truncate on "audit_events"
      for each statement execute function "audit_events_append_only"()`);
  }

  override async down(): Promise<void> {
    if (!this.isPostgres) return;
    this.addSql('drop trigger if exists "audit_events_no_truncate" on "audit_events"');
  }
}
