import { PortableMigration } from './portable-migration.js';

/** Passkeys (WebAuthn credentials) and their single-use registration and sign-in challenges. */
export class Migration20261202030000_passkeys extends PortableMigration {
  override async up(): Promise<void> {
    this.ddl(`create table "passkeys" (
      "id" {uuid} not null primary key,
      "user_id" {uuid} not null references "users" ("id") on update cascade on delete cascade,
      "credential_id" {str:1400} not null,
      "public_key" {text} not null,
      "sign_count" bigint not null,
      "transports" {str:255} not null,
      "backup_eligible" {bool} not null,
      "backed_up" {bool} not null,
      "aaguid" {str:36} not null,
      "name" {str:100} not null,
      "created_at" {ts} not null,
      "last_used_at" {ts} null)`);
    this.ddl(`create unique index "passkeys_credential_id_unique" on "passkeys" ("credential_id")`);
    this.ddl(`create index "passkeys_user_id_index" on "passkeys" ("user_id")`);

    this.ddl(`create table "passkey_challenges" (
      "challenge_hash" {str:64} not null primary key,
      "purpose" {str:16} not null,
      "user_id" {uuid} null references "users" ("id") on update cascade on delete cascade,
      "email_hash" {str:64} null,
      "created_at" {ts} not null,
      "expires_at" {ts} not null,
      "used_at" {ts} null)`);
    this.ddl(`create index "passkey_challenges_expires_at_index" on "passkey_challenges" ("expires_at")`);
  }

  override async down(): Promise<void> {
    this.ddl('drop table if exists "passkey_challenges"');
    this.ddl('drop table if exists "passkeys"');
  }
}
