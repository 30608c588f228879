import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { AuditEventSink } from '../../src/observability/audit.sink.js';
import { MetricsEventSink, SecurityEvents } from '../../src/observability/security-events.js';
import { AccessTokenService } from '../../src/security/access-tokens.js';
import { SecretBox } from '../../src/security/crypto.js';
import { SigningKeyStore } from '../../src/security/signing-keys.js';
import { migrate, openOrm } from '../../src/storage/orm.js';
import type { Orm } from '../../src/storage/orm.js';
import { User } from '../../src/storage/entities/index.js';
import type { UserProfile } from '../../src/auth/user.service.js';
import { migrationsList } from '../../src/storage/migrations/index.js';
import type { Backend } from './database.js';
import { postgresAdminUrl } from './global-setup.js';

/**
 * The security services on a real database, without the HTTP server: for the fast, focused tests
 * that Stryker runs against each security module (seconds a mutant instead of the 20–40 s of a
 * test file that starts a server). PostgreSQL gets a fresh database, SQLite a fresh file.
 */
export interface SecurityStack {
  backend: Backend;
  orm: Orm;
  box: SecretBox;
  events: SecurityEvents;
  metrics: Metrics;
  signingKeys: SigningKeyStore;
  accessTokens: AccessTokenService;
  close(): Promise<void>;
}

export const STACK_SECRET = 'a-test-auth-secret-of-at-least-32-characters';
export const ISSUER = 'https://auth.example.test';
export const AUDIENCE = 'plinto-test';
export const ACCESS_TTL = 900;

/**
 * The migrations' identity: a template made by other migrations (another branch, an edited one) is
 * never used.
 */
const SCHEMA_ID = createHash('sha256')
  .update(migrationsList.map((m) => `${m.name}\n${String(m.class)}`).join('\n'))
  .digest('hex')
  .slice(0, 16);

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database with every migration applied, copied from a migrated template (a PostgreSQL
 * template database, an SQLite file) made once per version of the migrations: a Stryker run opens
 * one per mutant, and migrating each time would cost seconds a mutant.
 */
async function migratedDatabase(backend: Backend): Promise<{ orm: Orm; drop: () => Promise<void> }> {
  const suffix = randomBytes(6).toString('hex');
  if (backend === 'sqlite') {
    const template = join(tmpdir(), `plinto-migrated-${SCHEMA_ID}.sqlite`);
    if (!existsSync(template)) {
      const building = `${template}.${suffix}`;
      const orm = await openOrm({ kind: 'sqlite', path: building });
      await migrate(orm);
      await orm.close(true);
      renameSync(building, template);
    }
    const dir = mkdtempSync(join(tmpdir(), 'plinto-test-'));
    const path = join(dir, 'plinto.sqlite');
    copyFileSync(template, path);
    const orm = await openOrm({ kind: 'sqlite', path });
    return { orm, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const template = `plinto_migrated_${SCHEMA_ID}`;
  const url = (name: string) => {
    const u = new URL(postgresAdminUrl());
    u.pathname = `/${name}`;
    return u.toString();
  };
  const exists = await admin(
    async (c) => (await c.query('select 1 from pg_database where datname = $1', [template])).rowCount === 1,
  );
  if (!exists) {
    const building = `${template}_${suffix}`;
    await admin((c) => c.query(`create database ${building}`));
    const orm = await openOrm({ kind: 'postgresql', url: url(building) });
    await migrate(orm);
    await orm.close(true);
    // Another process may have made it meanwhile: then this copy is dropped.
    await admin((c) => c.query(`alter database ${building} rename to ${template}`)).catch(() =>
      admin((c) => c.query(`drop database ${building}`)),
    );
  }
  const name = `plinto_test_${suffix}`;
  await admin((c) => c.query(`create database ${name} template ${template}`));
  const orm = await openOrm({ kind: 'postgresql', url: url(name) });
  return {
    orm,
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

export async function openSecurityStack(backend: Backend): Promise<SecurityStack> {
  const { orm, drop } = await migratedDatabase(backend);
  const metrics = new Metrics();
  const events = new SecurityEvents(
    [new MetricsEventSink(metrics), new AuditEventSink(orm)],
    createLogger('silent'),
    metrics,
  );
  const box = new SecretBox(STACK_SECRET);
  const signingKeys = new SigningKeyStore(() => orm.em.fork(), box, ACCESS_TTL);
  await signingKeys.init();
  const accessTokens = new AccessTokenService(signingKeys, ISSUER, AUDIENCE, ACCESS_TTL);
  return {
    backend,
    orm,
    box,
    events,
    metrics,
    signingKeys,
    accessTokens,
    close: async () => {
      await orm.close(true);
      await drop();
    },
  };
}

/** A user row, inserted directly (sign-up is not under test here). */
export async function insertUser(orm: Orm, email: string, roles: string[] = []): Promise<UserProfile> {
  const em = orm.em.fork();
  const createdAt = new Date();
  const user = em.create(User, { email, roles, createdAt });
  await em.persist(user).flush();
  return { id: user.id, email, emailVerifiedAt: null, totpEnabledAt: null, createdAt, roles };
}
