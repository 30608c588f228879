import { Migration } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';

/**
 * One migration for both backends: DDL is written once with a few type placeholders that
 * become the PostgreSQL or SQLite spelling.
 *   {uuid} {ts} {text} {int} {bool} {str:N}
 */
export abstract class PortableMigration extends Migration {
  protected get isPostgres(): boolean {
    return this.driver instanceof PostgreSqlDriver;
  }

  protected ddl(statement: string): void {
    const pg = this.isPostgres;
    const sql = statement
      .replaceAll('{uuid}', pg ? 'uuid' : 'text')
      .replaceAll('{ts}', pg ? 'timestamptz' : 'datetime')
      .replaceAll('{text}', 'text')
      .replaceAll('{int}', 'integer')
      .replaceAll('{bool}', pg ? 'boolean' : 'integer')
      .replace(/\{str:(\d+)\}/g, (_m, n: string) => (pg ? `varchar(${n})` : 'text'));
    this.addSql(sql);
  }
}
