import { PortableMigration } from './portable-migration.js';

/**
 * changeEmail (issue 21): an emailed token may carry a small JSON payload the link acts on (the
 * new address of a confirmation link, the old address of an undo link). The token itself stays a
 * SHA-256 hash; the payload holds addresses, never a secret.
 */
export class Migration20261203020000_email_change extends PortableMigration {
  override async up(): Promise<void> {
    this.ddl(`alter table "one_time_tokens" add column "payload" {text} null`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "one_time_tokens" drop column "payload"`);
  }
}
