import { PortableMigration } from './portable-migration.js';

/** Webhook endpoints and their delivery outbox (issue 22). */
export class Migration20261202060000_webhooks extends PortableMigration {
  override async up(): Promise<void> {
    this.ddl(`create table "webhook_endpoints" (
      "id" {uuid} not null primary key,
      "url" {str:2048} not null,
      "events" {text} not null,
      "description" {str:500} null,
      "secret" {text} not null,
      "previous_secret" {text} null,
      "previous_secret_retired_at" {ts} null,
      "disabled_at" {ts} null,
      "disabled_reason" {str:64} null,
      "failing_since" {ts} null,
      "created_at" {ts} not null,
      "updated_at" {ts} not null)`);
    this.ddl(`create table "webhook_deliveries" (
      "id" {uuid} not null primary key,
      "endpoint_id" {uuid} not null references "webhook_endpoints" ("id") on update cascade on delete cascade,
      "event_id" {uuid} not null,
      "event_type" {str:64} not null,
      "payload" {text} not null,
      "status" {str:16} not null default 'pending',
      "attempts" {int} not null default 0,
      "next_attempt_at" {ts} not null,
      "locked_until" {ts} null,
      "lock_id" {str:36} null,
      "last_status_code" {int} null,
      "last_error" {str:255} null,
      "last_attempt_at" {ts} null,
      "delivered_at" {ts} null,
      "failed_at" {ts} null,
      "created_at" {ts} not null,
      "queued_at" {ts} not null)`);
    this.ddl(
      `create index "webhook_deliveries_status_next_attempt_at_index" on "webhook_deliveries" ("status", "next_attempt_at")`,
    );
    this.ddl(
      `create index "webhook_deliveries_endpoint_id_created_at_index" on "webhook_deliveries" ("endpoint_id", "created_at")`,
    );
  }

  override async down(): Promise<void> {
    this.ddl('drop table if exists "webhook_deliveries"');
    this.ddl('drop table if exists "webhook_endpoints"');
  }
}
