import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { migrate, openOrm } from '../../src/storage/orm.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { postgresAdminUrl } from '../helpers/global-setup.js';
import { gql, SIGN_IN, uniqueEmail } from '../helpers/graphql.js';
import { testEnv } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('the audit table owned by a separate role (PostgreSQL)', () => {
  const appRole = `plinto_app_${randomBytes(4).toString('hex')}`;
  let database: TestDatabase;
  let appUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    const name = new URL(database.url).pathname.slice(1);
    // The README's recipe: the app's own role, not a superuser, owns its database and runs the
    // migrations as a member of plinto_audit_owner; the DBA takes the membership back afterwards.
    await query(postgresAdminUrl(), `create role ${appRole} login`);
    await query(
      postgresAdminUrl(),
      `do $$ begin create role plinto_audit_owner nologin; exception when duplicate_object or unique_violation then null; end $$`,
    );
    await query(postgresAdminUrl(), `grant plinto_audit_owner to ${appRole}`);
    await query(postgresAdminUrl(), `alter database ${name} owner to ${appRole}`);
    const url = new URL(database.url);
    url.username = appRole;
    appUrl = url.toString();
    const orm = await openOrm(loadConfig(testEnv('postgresql', appUrl)).database);
    try {
      await migrate(orm);
    } finally {
      await orm.close(true);
    }
    await query(postgresAdminUrl(), `revoke plinto_audit_owner from ${appRole}`);
  });
  afterAll(async () => {
    await database?.drop();
    await query(postgresAdminUrl(), `drop role if exists ${appRole}`).catch(() => undefined);
  });

  it('lets the app’s own role read and append the audit trail, but not truncate it, disable its trigger or take it back', async () => {
    const owner = await query(appUrl, `select tableowner from pg_tables where tablename = 'audit_events'`);
    expect(owner.rows[0]?.tableowner).toBe('plinto_audit_owner');
    await query(
      appUrl,
      `insert into audit_events (id, kind, result, created_at) values (gen_random_uuid(), 'sign_in', 'success', now())`,
    );
    expect((await query(appUrl, 'select count(*)::int as n from audit_events')).rows[0]?.n).toBe(1);
    for (const sql of [
      'truncate audit_events',
      'alter table audit_events disable trigger all',
      'alter table audit_events owner to current_user',
      'delete from audit_events',
      'update audit_events set kind = null',
    ]) {
      await expect(query(appUrl, sql), sql).rejects.toThrow(/owner|permission denied|append-only/);
    }
    expect((await query(appUrl, 'select count(*)::int as n from audit_events')).rows[0]?.n).toBe(1);
    // Its other tables stay the app role's own.
    const sessions = await query(appUrl, `select tableowner from pg_tables where tablename = 'sessions'`);
    expect(sessions.rows[0]?.tableowner).toBe(appRole);
  });
});

describe('audit sink failures', () => {
  const ctx = useServer('postgresql');

  it('counts a failed audit write in plinto_audit_sink_failures_total, and the flow still answers', async () => {
    const failures = async (sink: string) => {
      const { values } = await ctx.server.app.services.metrics.auditSinkFailures.get();
      return values.find((v) => v.labels.sink === sink)?.value ?? 0;
    };
    const before = await failures('audit');
    await query(
      ctx.database.url,
      `create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'audit store down'; end $$;
       create trigger refuse_audit before insert on audit_events for each row execute function refuse_audit()`,
    );
    const response = await gql(ctx.server.url, SIGN_IN, {
      email: uniqueEmail(),
      password: 'not the password 1',
    });
    expect(response.body.data?.signIn.__typename).toBe('InvalidCredentials');
    expect((await failures('audit')) - before).toBe(1);
    expect(await failures('metrics')).toBe(0);
  });
});
