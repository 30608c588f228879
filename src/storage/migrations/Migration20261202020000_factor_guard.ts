import { PortableMigration } from './portable-migration.js';

/**
 * Second-factor guessing is capped (one per-user counter for every TOTP/recovery-code check) and
 * a lost second factor can be removed after an emailed link and a waiting period.
 */
export class Migration20261202020000_factor_guard extends PortableMigration {
  override async up(): Promise<void> {
    this.ddl(`alter table "users" add column "factor_failures" {int} not null default 0`);
    this.ddl(`alter table "users" add column "factor_failure_base" {int} not null default 0`);
    this.ddl(`alter table "users" add column "mfa_recovery_due_at" {ts} null`);
  }

  override async down(): Promise<void> {
    this.ddl(`alter table "users" drop column "mfa_recovery_due_at"`);
    this.ddl(`alter table "users" drop column "factor_failure_base"`);
    this.ddl(`alter table "users" drop column "factor_failures"`);
  }
}
