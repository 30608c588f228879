import { PortableMigration } from './portable-migration.js';

/** Social sign-in: linked identities, sign-ins in progress (state) and the one-time Plinto codes. */
export class Migration20261202040000_identities extends PortableMigration {
  override async up(): Promise<void> {
    this.ddl(`create table "identities" (
      "id" {uuid} not null primary key,
      "user_id" {uuid} not null references "users" ("id") on update cascade on delete cascade,
      "provider" {str:32} not null,
      "subject" {str:255} not null,
      "email" {str:320} null,
      "email_verified" {bool} not null default ${this.isPostgres ? 'false' : '0'},
      "linked_at" {ts} not null,
      "last_used_at" {ts} null)`);
    this.ddl(`create unique index "identities_provider_subject_unique" on "identities" ("provider", "subject")`);
    this.ddl(`create index "identities_user_id_index" on "identities" ("user_id")`);

    this.ddl(`create table "oauth_requests" (
      "state_hash" {str:64} not null primary key,
      "provider" {str:32} not null,
      "intent" {str:16} not null,
      "user_id" {uuid} null,
      "redirect_to" {text} not null,
      "created_at" {ts} not null,
      "expires_at" {ts} not null,
      "used_at" {ts} null)`);
    this.ddl(`create index "oauth_requests_expires_at_index" on "oauth_requests" ("expires_at")`);

    this.ddl(`create table "oauth_codes" (
      "code_hash" {str:64} not null primary key,
      "provider" {str:32} not null,
      "subject" {str:255} not null,
      "email" {str:320} null,
      "email_verified" {bool} not null default ${this.isPostgres ? 'false' : '0'},
      "created_at" {ts} not null,
      "expires_at" {ts} not null,
      "used_at" {ts} null)`);
    this.ddl(`create index "oauth_codes_expires_at_index" on "oauth_codes" ("expires_at")`);
  }

  override async down(): Promise<void> {
    this.ddl('drop table if exists "oauth_codes"');
    this.ddl('drop table if exists "oauth_requests"');
    this.ddl('drop table if exists "identities"');
  }
}
