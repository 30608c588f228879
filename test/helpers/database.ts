import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
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
