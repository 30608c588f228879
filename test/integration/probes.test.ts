import { afterAll, describe, expect, it } from 'vitest';
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
    expect(down.body).toEqual({ status: 'unavailable', failed: ['database'] });
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
