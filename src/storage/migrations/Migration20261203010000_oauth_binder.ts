import { PortableMigration } from './portable-migration.js';

/**
 * Social sign-in bound to the party that began it (login CSRF, account-link CSRF): the SHA-256 of
 * the binder beginSocialSignIn / linkIdentity handed that party, on the request and on the Plinto
 * code; a code now also says what it is for (sign-in, or link for `user_id`). Rows in flight
 * before this migration have no binder and can never be completed (they expire within minutes).
 */
export class Migration20261203010000_oauth_binder extends PortableMigration {
  override async up(): Promise<void> {
    this.ddl(`alter table "oauth_requests" add column "binder_hash" {str:64} null`);
    this.ddl(`alter table "oauth_codes" add column "binder_hash" {str:64} null`);
    this.ddl(`alter table "oauth_codes" add column "intent" {str:16} not null default 'sign-in'`);
    this.ddl(`alter table "oauth_codes" add column "user_id" {uuid} null`);
  }

  override async down(): Promise<void> {
    this.ddl(`alter table "oauth_codes" drop column "user_id"`);
    this.ddl(`alter table "oauth_codes" drop column "intent"`);
    this.ddl(`alter table "oauth_codes" drop column "binder_hash"`);
    this.ddl(`alter table "oauth_requests" drop column "binder_hash"`);
  }
}
