import { PortableMigration } from './portable-migration.js';

/**
 * Administration (issue 21): disabled accounts, profile and metadata, API keys, the actor and a
 * short detail on audit events, and an index for the admin search on the normalised email.
 */
export class Migration20261202050100_admin extends PortableMigration {
  override async up(): Promise<void> {
    this.ddl(`alter table "users" add column "disabled_at" {ts} null`);
    this.ddl(`alter table "users" add column "disabled_reason" {str:200} null`);
    this.ddl(`alter table "users" add column "display_name" {str:100} null`);
    this.ddl(`alter table "users" add column "public_metadata" {text} null`);
    this.ddl(`alter table "users" add column "private_metadata" {text} null`);
    // Who did it (`user:<id>` or `key:<id>`; null = the user themselves or the system) and a short,
    // non-secret detail (a reason, a key's name): never an address, a token or a hash.
    this.ddl(`alter table "audit_events" add column "actor" {str:48} null`);
    this.ddl(`alter table "audit_events" add column "detail" {str:200} null`);
    this.ddl(`create index "audit_events_created_at_id_index" on "audit_events" ("created_at", "id")`);
    // adminUsers: prefix search on the normalised email. PostgreSQL's unique index uses the
    // database collation, which `like 'abc%'` cannot use; text_pattern_ops can. SQLite's
    // case-sensitive LIKE optimisation is off by default: there the unique index still orders pages.
    if (this.isPostgres) {
      this.addSql(`create index "users_email_pattern_index" on "users" ("email" text_pattern_ops)`);
    }
    this.ddl(`create index "users_created_at_id_index" on "users" ("created_at", "id")`);
    this.ddl(`create table "api_keys" (
      "id" {uuid} not null primary key,
      "name" {str:100} not null,
      "key_hash" {str:64} not null unique,
      "scopes" {str:200} not null,
      "created_by" {uuid} null,
      "created_at" {ts} not null,
      "expires_at" {ts} null,
      "revoked_at" {ts} null,
      "last_used_at" {ts} null)`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "api_keys"');
    this.addSql('drop index if exists "users_created_at_id_index"');
    this.addSql('drop index if exists "users_email_pattern_index"');
    this.addSql('drop index if exists "audit_events_created_at_id_index"');
    for (const column of ['actor', 'detail']) this.addSql(`alter table "audit_events" drop column "${column}"`);
    for (const column of [
      'disabled_at',
      'disabled_reason',
      'display_name',
      'public_metadata',
      'private_metadata',
    ])
      this.addSql(`alter table "users" drop column "${column}"`);
  }
}
