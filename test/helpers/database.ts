import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrationsList } from '../../src/storage/migrations/index.js';
import { migrate, openOrm } from '../../src/storage/orm.js';
import { postgresAdminUrl } from './global-setup.js';

export type Backend = 'postgresql' | 'sqlite';

export const BACKENDS: Backend[] = ['postgresql', 'sqlite'];

export interface TestDatabase {
  backend: Backend;
  url: string;
  /** Runs SQL directly (PostgreSQL only; SQLite tests read through the app's ORM). */
  drop(): Promise<void>;
}

/** A fresh, empty database per test file: PostgreSQL gets its own database, SQLite its own file. */
export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'plinto-test-'));
    return {
      backend,
      url: `sqlite:${join(dir, 'plinto.sqlite')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `plinto_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(postgresAdminUrl());
  url.pathname = `/${name}`;
  return {
    backend,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: postgresAdminUrl() });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/**
 * The migrations' identity: a template made by other migrations (another branch, an edited one) is
 * never used.
 */
const SCHEMA_ID = createHash('sha256')
  .update(migrationsList.map((m) => `${m.name}\n${String(m.class)}`).join('\n'))
  .digest('hex')
  .slice(0, 16);

function postgresUrl(name: string): string {
  const url = new URL(postgresAdminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A fresh database with every migration already applied, copied from a migrated template (a
 * PostgreSQL template database, an SQLite file) made once per version of the migrations, so a
 * test that starts a server does not pay for migrating (about a second a PostgreSQL database on
 * 2 cores). The app's own start then finds nothing pending. Tests of migrating itself use
 * createTestDatabase.
 */
export async function createMigratedTestDatabase(backend: Backend): Promise<TestDatabase> {
  const suffix = randomBytes(6).toString('hex');
  if (backend === 'sqlite') {
    const template = join(tmpdir(), `plinto-migrated-${SCHEMA_ID}.sqlite`);
    if (!existsSync(template)) {
      const building = `${template}.${suffix}`;
      const orm = await openOrm({ kind: 'sqlite', path: building });
      try {
        await migrate(orm);
      } finally {
        await orm.close(true);
      }
      renameSync(building, template);
    }
    const dir = mkdtempSync(join(tmpdir(), 'plinto-test-'));
    const path = join(dir, 'plinto.sqlite');
    copyFileSync(template, path);
    return {
      backend,
      url: `sqlite:${path}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const template = `plinto_migrated_${SCHEMA_ID}`;
  const exists = async () =>
    (await adminRows('select 1 from pg_database where datname = $1', [template])).length === 1;
  if (!(await exists())) {
    const building = `${template}_${suffix}`;
    await adminQuery(`create database ${building}`);
    const orm = await openOrm({ kind: 'postgresql', url: postgresUrl(building) });
    try {
      await migrate(orm);
    } finally {
      await orm.close(true);
    }
    // Another process may have made it meanwhile: then this copy is dropped.
    await adminQuery(`alter database ${building} rename to ${template}`).catch(() =>
      adminQuery(`drop database ${building}`),
    );
  }
  const name = `plinto_test_${suffix}`;
  await adminQuery(`create database ${name} template ${template}`);
  return {
    backend,
    url: postgresUrl(name),
    drop: () => adminQuery(`drop database if exists ${name} with (force)`),
  };
}

async function adminRows(sql: string, values: unknown[]): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows;
  } finally {
    await client.end();
  }
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function postgresName(database: TestDatabase): string {
  if (database.backend !== 'postgresql') throw new Error('only a PostgreSQL test database can be cut off');
  return new URL(database.url).pathname.slice(1);
}

/**
 * PostgreSQL goes away for this database: new connections are refused and open ones are cut.
 * The server itself stays up, so a test can watch the app degrade and recover without a restart.
 */
export async function cutOffDatabase(database: TestDatabase): Promise<void> {
  const name = postgresName(database);
  await adminQuery(`alter database ${name} allow_connections false`);
  await adminQuery(
    `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`,
  );
}

export async function restoreDatabase(database: TestDatabase): Promise<void> {
  await adminQuery(`alter database ${postgresName(database)} allow_connections true`);
}
