import { PortableMigration } from './portable-migration.js';

export class Migration20261130030000_audit extends PortableMigration {
  override async up(): Promise<void> {
    this.ddl(`create table "audit_events" (
      "id" {uuid} not null primary key,
      "kind" {str:48} not null,
      "result" {str:16} not null,
      "user_id" {uuid} null,
      "session_id" {uuid} null,
      "ip" {str:64} null,
      "user_agent" {str:512} null,
      "created_at" {ts} not null)`);
    this.ddl(
      `create index "audit_events_user_id_created_at_id_index" on "audit_events" ("user_id", "created_at", "id")`,
    );
    // Append-only in the database itself: a bug or a compromised code path cannot rewrite history.
    if (this.isPostgres) {
      this.addSql(`create function "audit_events_append_only"() returns trigger language plpgsql as $$
        begin raise exception 'audit_events is append-only'; end $$`);
      this.addSql(`create trigger "audit_events_no_update" before update or delete on "audit_events"
        for each row execute function "audit_events_append_only"()`);
    } else {
      this.addSql(`create trigger "audit_events_no_update" before update on "audit_events"
        begin select raise(abort, 'audit_events is append-only'); end`);
      this.addSql(`create trigger "audit_events_no_delete" before delete on "audit_events"
        begin select raise(abort, 'audit_events is append-only'); end`);
    }
  }

  override async down(): Promise<void> {
    this.ddl('drop table if exists "audit_events"');
    if (this.isPostgres) this.addSql('drop function if exists "audit_events_append_only"()');
  }
}
