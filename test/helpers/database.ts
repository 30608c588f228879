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
