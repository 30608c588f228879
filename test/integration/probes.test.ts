import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/security/crypto.js';
import { cutOffDatabase, restoreDatabase } from '../helpers/database.js';
import { signUpUser } from '../helpers/graphql.js';
import { useServer } from '../helpers/use-server.js';

async function readiness(url: string): Promise<{ status: number; text: string; body: any }> {
  const response = await fetch(`${url}/ready`);
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) };
}

/** Polls /ready until it gives `status` (or gives up after `attempts`); returns the last answer. */
async function readinessBecomes(url: string, status: number, attempts = 50) {
  let last = await readiness(url);
  for (let i = 0; i < attempts && last.status !== status; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = await readiness(url);
  }
  return last;
}

describe('health and readiness probes (PostgreSQL + Redis)', () => {
  const ctx = useServer('postgresql');
  // Runs before useServer's teardown (vitest runs afterAll hooks last registered, first): a test
  // that failed mid-outage must not leave the database refusing the server's close.
  afterAll(async () => {
    await restoreDatabase(ctx.database).catch(() => undefined);
  });

  it('reports alive on /health and ready on /ready with both checks passing', async () => {
    const health = await fetch(`${ctx.server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await readiness(ctx.server.url);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', failed: [] });
  });

  it('turns 503 naming the database while PostgreSQL is unreachable, and 200 again without a restart', async () => {
    // The database refuses new connections and its open ones are cut: to this server, PostgreSQL is gone.
    await cutOffDatabase(ctx.database);
    const down = await readinessBecomes(ctx.server.url, 503);
    expect(down.status).toBe(503);
    // Only the database is named: the schema and secrets checks read through it and are not reported twice.
    expect(down.body).toEqual({
      status: 'unavailable',
      failed: ['database'],
      reasons: { database: expect.stringMatching(/^(unreachable|no answer within \d+ ms)$/) },
    });
    // Names only: no driver text, host, database name or error message.
    expect(down.text).not.toMatch(/connect|terminat|allow|refused|postgres|plinto_test|error/i);
    // /health checks nothing else: the process is still alive.
    expect((await fetch(`${ctx.server.url}/health`)).status).toBe(200);

    await restoreDatabase(ctx.database);
    const up = await readinessBecomes(ctx.server.url, 200);
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ status: 'ready', failed: [] });
    // The pool reconnected for real work too, not just for the probe.
    const user = await signUpUser(ctx.server.url);
    expect(user.accessToken).toBeTruthy();
  });
});

describe('readiness with Redis unreachable', () => {
  // Nothing listens on port 1: every Redis command fails at once (no offline queue).
  const ctx = useServer('postgresql', { REDIS_URL: 'redis://127.0.0.1:1' });

  it('stays ready while Redis is down, and shows the degradation in plinto_redis_degraded', async () => {
    // The app serves through its fallbacks: a sign-up works with Redis gone.
    const user = await signUpUser(ctx.server.url);
    expect(user.accessToken).toBeTruthy();
    // Redis down must not take every replica out of the load balancer at once.
    const ready = await readiness(ctx.server.url);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', failed: [] });
    expect(ready.text).not.toMatch(/redis|ECONNREFUSED|127\.0\.0\.1|closed/i);
    const exposition = await (await fetch(`${ctx.server.url}/metrics`)).text();
    expect(exposition).toMatch(/^plinto_redis_degraded 1$/m);
  });
});

describe('readiness while shutting down', () => {
  const ctx = useServer('sqlite', { SHUTDOWN_DRAIN_SECONDS: '1' });

  it('answers 503 draining as soon as shutdown begins', async () => {
    expect((await readiness(ctx.server.url)).status).toBe(200);
    const closing = ctx.server.app.close();
    const draining = await readiness(ctx.server.url);
    expect(draining.status).toBe(503);
    expect(draining.body).toEqual({ status: 'draining', failed: [] });
    // Liveness is unaffected: the process is healthy, only leaving.
    expect((await fetch(`${ctx.server.url}/health`)).status).toBe(200);
    await closing;
    await expect(fetch(`${ctx.server.url}/health`)).rejects.toThrow();
  });
});

async function sql<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** plinto_not_ready{reason} as this instance exports it now. */
async function notReady(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Object.fromEntries(
    [...text.matchAll(/^plinto_not_ready\{reason="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]),
  );
}

describe('readiness when the database no longer fits this process', () => {
  const ctx = useServer('postgresql');

  it('turns 503 with reason "schema" while a migration is missing (a restore from an old backup), and in plinto_not_ready', async () => {
    expect(await notReady(ctx.server.url)).toMatchObject({ database: 0, schema: 0, secrets: 0, draining: 0 });
    // As after restoring a backup taken before the latest migration: the bookkeeping no longer lists it.
    await sql(
      ctx.database.url,
      `update mikro_orm_migrations set name = name || '-hidden' where name like '%_audit'`,
    );
    try {
      const behind = await readiness(ctx.server.url);
      expect(behind.status).toBe(503);
      expect(behind.body).toEqual({
        status: 'unavailable',
        failed: ['schema'],
        reasons: { schema: '1 pending migration(s): run the migration command' },
      });
      expect(await notReady(ctx.server.url)).toMatchObject({ database: 0, schema: 1, secrets: 0 });
    } finally {
      await sql(ctx.database.url, `update mikro_orm_migrations set name = replace(name, '-hidden', '')`);
    }
    expect((await readiness(ctx.server.url)).status).toBe(200);
    expect(await notReady(ctx.server.url)).toMatchObject({ schema: 0 });
  });

  it('turns 503 with reason "secrets" while the stored signing keys were sealed with another secret', async () => {
    const [key] = await sql<{ kid: string; private_key_encrypted: string }>(
      ctx.database.url,
      'select kid, private_key_encrypted from signing_keys',
    );
    const foreign = new SecretBox('a-secret-from-another-environment-0123456789').seal('signing-key', 'x');
    await sql(ctx.database.url, 'update signing_keys set private_key_encrypted = $1 where kid = $2', [
      foreign,
      key!.kid,
    ]);
    try {
      const wrong = await readiness(ctx.server.url);
      expect(wrong.status).toBe(503);
      expect(wrong.body).toEqual({
        status: 'unavailable',
        failed: ['secrets'],
        reasons: { secrets: 'AUTH_SECRET cannot open the stored signing keys' },
      });
      expect(await notReady(ctx.server.url)).toMatchObject({ schema: 0, secrets: 1 });
    } finally {
      await sql(ctx.database.url, 'update signing_keys set private_key_encrypted = $1 where kid = $2', [
        key!.private_key_encrypted,
        key!.kid,
      ]);
    }
    expect((await readiness(ctx.server.url)).status).toBe(200);
  });
});
