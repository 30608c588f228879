import { MikroORM } from '@mikro-orm/core';
import type { Options } from '@mikro-orm/core';
import { LibSqlDriver } from '@mikro-orm/libsql';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
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

export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}
