import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { Orm } from './orm.js';
import { migrationsList } from './migrations/index.js';

/** MikroORM's bookkeeping table (its default name; orm.ts does not change it). */
const MIGRATIONS_TABLE = 'mikro_orm_migrations';

/**
 * The migrations this build knows that the database has not applied, in order. Read-only (a
 * readiness probe must never run DDL, which MikroORM's own pending list may do to create its
 * table): an empty database has no bookkeeping table, so every migration is pending.
 */
export async function pendingMigrations(orm: Orm): Promise<string[]> {
  const connection = orm.em.getConnection();
  const exists = await connection.execute<{ found: number }[]>(
    orm.em.getDriver() instanceof PostgreSqlDriver
      ? `select 1 as found from information_schema.tables where table_schema = current_schema() and table_name = '${MIGRATIONS_TABLE}'`
      : `select 1 as found from sqlite_master where type = 'table' and name = '${MIGRATIONS_TABLE}'`,
  );
  const known = migrationsList.map((m) => m.name);
  if (exists.length === 0) return known;
  const rows = await connection.execute<{ name: string }[]>(`select name from ${MIGRATIONS_TABLE}`);
  // MikroORM may record a name with or without a file extension.
  const applied = new Set(rows.map((row: { name: string }) => row.name.replace(/\.[jt]s$/, '')));
  return known.filter((name) => !applied.has(name));
}
