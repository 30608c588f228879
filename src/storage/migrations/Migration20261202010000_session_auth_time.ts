import { PortableMigration } from './portable-migration.js';

/**
 * Step-up: each session records its last primary authentication (sign-in, or `reauthenticate`).
 * Existing sessions get their sign-in time, which is what "recent" meant before.
 */
export class Migration20261202010000_session_auth_time extends PortableMigration {
  override async up(): Promise<void> {
    this.ddl(`alter table "sessions" add column "authenticated_at" {ts} null`);
    this.addSql(`update "sessions" set "authenticated_at" = "created_at"`);
  }

  override async down(): Promise<void> {
    this.ddl(`alter table "sessions" drop column "authenticated_at"`);
  }
}
