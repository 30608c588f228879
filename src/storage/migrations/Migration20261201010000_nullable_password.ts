import { PortableMigration } from './portable-migration.js';

const NOT_NULL = '"password_hash" text not null';
const NULLABLE = '"password_hash" text null';

/**
 * A user may have no password (signs in by emailed link; later passkey or OIDC). PostgreSQL
 * drops the constraint in place. SQLite cannot alter a column, and rebuilding `users` inside the
 * migration transaction would cascade-delete every session (foreign keys cannot be switched off
 * in a transaction), so it edits the stored table definition: the procedure SQLite documents for
 * removing a NOT NULL constraint (lang_altertable.html#otheralter), then checks the result.
 */
export class Migration20261201010000_nullable_password extends PortableMigration {
  override async up(): Promise<void> {
    if (this.isPostgres) {
      this.addSql('alter table "users" alter column "password_hash" drop not null');
      return;
    }
    await this.rewriteSqliteColumn(NOT_NULL, NULLABLE, 0);
  }

  override async down(): Promise<void> {
    if (this.isPostgres) {
      // Fails while a password-less user exists: they would have no way to sign in after the downgrade.
      this.addSql('alter table "users" alter column "password_hash" set not null');
      return;
    }
    const [row] = await this.execute('select count(*) as "n" from "users" where "password_hash" is null');
    if (Number(row?.n ?? 0) > 0) throw new Error('users without a password exist: cannot restore NOT NULL');
    await this.rewriteSqliteColumn(NULLABLE, NOT_NULL, 1);
  }

  private async rewriteSqliteColumn(from: string, to: string, expectedNotNull: number): Promise<void> {
    const [version] = await this.execute('pragma schema_version');
    await this.execute('pragma writable_schema = on');
    await this.execute(
      `update sqlite_schema set sql = replace(sql, '${from}', '${to}') where type = 'table' and name = 'users'`,
    );
    await this.execute(`pragma schema_version = ${Number(version?.schema_version) + 1}`);
    await this.execute('pragma writable_schema = off');
    const columns = await this.execute('pragma table_info("users")');
    const column = columns.find((c) => c.name === 'password_hash');
    if (Number(column?.notnull) !== expectedNotNull) {
      throw new Error('users.password_hash: the table definition was not in the expected form');
    }
  }
}
