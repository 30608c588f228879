import { PortableMigration } from './portable-migration.js';

export class Migration20261130010000_email_flows extends PortableMigration {
  override async up(): Promise<void> {
    this.ddl(`create table "one_time_tokens" (
      "token_hash" {str:64} not null primary key,
      "user_id" {uuid} not null references "users" ("id") on update cascade on delete cascade,
      "purpose" {str:32} not null,
      "created_at" {ts} not null,
      "expires_at" {ts} not null,
      "used_at" {ts} null)`);
    this.ddl(
      `create index "one_time_tokens_user_id_purpose_index" on "one_time_tokens" ("user_id", "purpose")`,
    );

    this.ddl(`create table "mail_outbox" (
      "id" {uuid} not null primary key,
      "kind" {str:32} not null,
      "payload" {text} not null,
      "message" {text} null,
      "attempts" {int} not null default 0,
      "next_attempt_at" {ts} not null,
      "locked_until" {ts} null,
      "lock_id" {str:36} null,
      "last_error" {str:255} null,
      "failed_at" {ts} null,
      "created_at" {ts} not null)`);
    this.ddl(`create index "mail_outbox_next_attempt_at_index" on "mail_outbox" ("next_attempt_at")`);
  }

  override async down(): Promise<void> {
    this.ddl('drop table if exists "mail_outbox"');
    this.ddl('drop table if exists "one_time_tokens"');
  }
}
