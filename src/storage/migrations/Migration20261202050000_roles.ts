import { PortableMigration } from './portable-migration.js';

/**
 * Roles on users (issue 21): `,admin,support,` (delimited so that `like '%,role,%'` finds one
 * role exactly), '' for none. Validated in code (src/auth/roles.ts); at most 16 roles of 32
 * characters fit in 600.
 */
export class Migration20261202050000_roles extends PortableMigration {
  override async up(): Promise<void> {
    this.ddl(`alter table "users" add column "roles" {str:600} not null default ''`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table "users" drop column "roles"');
  }
}
