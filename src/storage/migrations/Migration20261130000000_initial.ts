import { PortableMigration } from './portable-migration.js';

export class Migration20261130000000_initial extends PortableMigration {
  override async up(): Promise<void> {
    this.ddl(`create table "users" (
      "id" {uuid} not null primary key,
      "email" {str:320} not null,
      "password_hash" {str:255} not null,
      "email_verified_at" {ts} null,
      "totp_secret_encrypted" {text} null,
      "totp_enabled_at" {ts} null,
      "totp_last_used_step" {int} null,
      "created_at" {ts} not null,
      "updated_at" {ts} not null)`);
    this.ddl(`create unique index "users_email_unique" on "users" ("email")`);

    this.ddl(`create table "sessions" (
      "id" {uuid} not null primary key,
      "user_id" {uuid} not null references "users" ("id") on update cascade on delete cascade,
      "amr" {str:64} not null,
      "created_at" {ts} not null,
      "last_used_at" {ts} not null,
      "expires_at" {ts} not null,
      "revoked_at" {ts} null,
      "revoked_reason" {str:32} null,
      "ip" {str:64} null,
      "user_agent" {str:512} null,
      "rotation_count" {int} not null default 0,
      "grace_for_token_hash" {str:64} null,
      "grace_until" {ts} null,
      "grace_pair_encrypted" {text} null)`);
    this.ddl(`create index "sessions_user_id_revoked_at_index" on "sessions" ("user_id", "revoked_at")`);

    this.ddl(`create table "refresh_tokens" (
      "token_hash" {str:64} not null primary key,
      "session_id" {uuid} not null references "sessions" ("id") on update cascade on delete cascade,
      "created_at" {ts} not null,
      "expires_at" {ts} not null,
      "rotated_at" {ts} null)`);
    this.ddl(`create index "refresh_tokens_session_id_index" on "refresh_tokens" ("session_id")`);

    this.ddl(`create table "signing_keys" (
      "kid" {str:64} not null primary key,
      "algorithm" {str:16} not null,
      "public_jwk" {text} not null,
      "private_key_encrypted" {text} not null,
      "created_at" {ts} not null,
      "retired_at" {ts} null)`);
  }

  override async down(): Promise<void> {
    this.ddl('drop table if exists "refresh_tokens"');
    this.ddl('drop table if exists "sessions"');
    this.ddl('drop table if exists "signing_keys"');
    this.ddl('drop table if exists "users"');
  }
}
