import { MikroORM } from '@mikro-orm/core';
import type { Options } from '@mikro-orm/core';
import { LibSqlDriver } from '@mikro-orm/libsql';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { AbstractSqlConnection } from '@mikro-orm/postgresql';
import type pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { entities } from './entities/index.js';
import { migrationsList } from './migrations/index.js';
import { requireWritablePrimary } from './writable-primary.js';

export type Orm = MikroORM;

export function ormOptions(database: DatabaseConfig): Options {
  const common = {
    entities,
    extensions: [Migrator],
    debug: false,
    allowGlobalContext: false,
    forceUtcTimezone: true,
    migrations: {
      migrationsList,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
  } satisfies Options;
  if (database.kind === 'postgresql') {
    return {
      ...common,
      driver: PostgreSqlDriver,
      clientUrl: database.url,
      // A request that cannot get a connection in 5 s is answered SERVICE_UNAVAILABLE, not held.
      // Every connection must reach a writable primary (target_session_attrs=read-write).
      pool: {
        min: 0,
        max: database.poolMax ?? 10,
        acquireTimeoutMillis: 5000,
        afterCreate: requireWritablePrimary,
      },
      driverOptions: { connection: { connectionTimeoutMillis: 3000 } },
    } as Options;
  }
  return { ...common, driver: LibSqlDriver, dbName: database.path } as Options;
}

export async function openOrm(database: DatabaseConfig): Promise<Orm> {
  return MikroORM.init(ormOptions(database));
}

/**
 * The advisory lock that serialises migrations on one PostgreSQL database (advisory locks are per
 * database): "plinto" in ASCII.
 */
export const MIGRATION_LOCK = 0x706c696e746f;

/**
 * Applies the pending migrations. On PostgreSQL, under a session advisory lock held on a
 * connection of its own (outside the pool, which may hold a single connection): several replicas
 * starting together on one database migrate one after another, and the later ones find nothing
 * pending — without it, each tried to create mikro_orm_migrations and the tables at once, and all
 * but one failed to start.
 */
export async function migrate(orm: Orm): Promise<string[]> {
  const up = async () => (await orm.getMigrator().up()).map((m) => m.name);
  if (!(orm.em.getDriver() instanceof PostgreSqlDriver)) return up();
  const client = (orm.em.getConnection() as AbstractSqlConnection).getKnex().client;
  const connection = (await client.acquireRawConnection()) as pg.Client;
  try {
    await connection.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    return await up();
  } finally {
    // Closing the session releases the lock too; unlocking first lets the next replica go at once.
    await connection.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await client.destroyRawConnection(connection).catch(() => undefined);
  }
}
