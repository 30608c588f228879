import { PortableMigration } from './portable-migration.js';

/** Second factor: the pending TOTP enrollment, recovery codes and sign-in challenges. */
export class Migration20261130020000_mfa extends PortableMigration {
  override async up(): Promise<void> {
    this.ddl(`alter table "users" add column "totp_pending_secret_encrypted" {text} null`);

    this.ddl(`create table "recovery_codes" (
      "id" {uuid} not null primary key,
      "user_id" {uuid} not null references "users" ("id") on update cascade on delete cascade,
      "code_hash" {str:64} not null,
      "created_at" {ts} not null,
      "used_at" {ts} null)`);
    this.ddl(`create unique index "recovery_codes_user_id_code_hash_unique" on "recovery_codes" ("user_id", "code_hash")`);

    this.ddl(`create table "mfa_challenges" (
      "token_hash" {str:64} not null primary key,
      "user_id" {uuid} not null references "users" ("id") on update cascade on delete cascade,
      "amr" {str:64} not null,
      "created_at" {ts} not null,
      "expires_at" {ts} not null,
      "attempts" {int} not null default 0,
      "consumed_at" {ts} null)`);
    this.ddl(`create index "mfa_challenges_user_id_created_at_index" on "mfa_challenges" ("user_id", "created_at")`);
  }

  override async down(): Promise<void> {
    this.ddl('drop table if exists "mfa_challenges"');
    this.ddl('drop table if exists "recovery_codes"');
    this.ddl(`alter table "users" drop column "totp_pending_secret_encrypted"`);
  }
}
