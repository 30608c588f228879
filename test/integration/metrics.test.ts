import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { gql, SIGN_IN, signUpUser } from '../helpers/graphql.js';
import { quietBackgroundWork, startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

/** The value of one series, exactly as labelled (0 when it does not exist yet). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const SIGN_IN_FAILURE = 'plinto_auth_events_total{event="sign_in",result="failure"}';
const SIGN_IN_SUCCESS = 'plinto_auth_events_total{event="sign_in",result="success"}';

describe('Prometheus metrics from the running service', () => {
  const ctx = useServer('postgresql');

  it('counts one failed and one successful sign-in exactly once each', async () => {
    const user = await signUpUser(ctx.server.url);
    const before = await scrape(ctx.server.url);

    const failed = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: 'not the password 1' });
    expect(failed.body.data?.signIn.__typename).toBe('InvalidCredentials');
    const succeeded = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    expect(succeeded.body.data?.signIn.__typename).toBe('SignInSuccess');

    // The live-sessions gauge is recounted on a timer, not per scrape: recount now.
    await ctx.server.app.services.liveSessionsGauge.refresh();
    const after = await scrape(ctx.server.url);
    expect(sample(after, SIGN_IN_FAILURE) - sample(before, SIGN_IN_FAILURE)).toBe(1);
    expect(sample(after, SIGN_IN_SUCCESS) - sample(before, SIGN_IN_SUCCESS)).toBe(1);

    const signInOps = 'plinto_graphql_operations_total{operation="SignIn",type="mutation",outcome="success"}';
    expect(sample(after, signInOps) - sample(before, signInOps)).toBe(2);
    // Both sign-ins verified a bcrypt hash.
    const hashes = 'plinto_password_hash_duration_seconds_count{scheme="bcrypt"}';
    expect(sample(after, hashes) - sample(before, hashes)).toBe(2);
    // Two sessions exist: the sign-up's and the successful sign-in's.
    expect(sample(after, 'plinto_sessions_live')).toBe(2);
  });

  it('labels HTTP requests by a fixed route set and status, never by raw URL', async () => {
    const before = await scrape(ctx.server.url);
    await fetch(`${ctx.server.url}/health`);
    await fetch(`${ctx.server.url}/secret-path-${Date.now()}?token=abc`);
    await gql(ctx.server.url, '{ nope }');
    const after = await scrape(ctx.server.url);

    const health = 'plinto_http_requests_total{method="GET",route="/health",status="200"}';
    expect(sample(after, health) - sample(before, health)).toBe(1);
    const other = 'plinto_http_requests_total{method="GET",route="other",status="404"}';
    expect(sample(after, other) - sample(before, other)).toBe(1);
    const invalid = 'plinto_http_requests_total{method="POST",route="/graphql",status="400"}';
    expect(sample(after, invalid) - sample(before, invalid)).toBe(1);
    expect(after).toContain('plinto_http_request_duration_seconds_bucket{');
    expect(after).not.toMatch(/secret-path|token=abc/);

    const invalidOps =
      'plinto_graphql_operations_total{operation="invalid",type="unknown",outcome="invalid"}';
    expect(sample(after, invalidOps) - sample(before, invalidOps)).toBe(1);
  });

  it('counts an unauthenticated query as an operation error and exports default process metrics', async () => {
    const before = await scrape(ctx.server.url);
    const me = await gql(ctx.server.url, 'query Me { me { id } }');
    expect(me.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const after = await scrape(ctx.server.url);
    const errors = 'plinto_graphql_operations_total{operation="Me",type="query",outcome="error"}';
    expect(sample(after, errors) - sample(before, errors)).toBe(1);
    expect(sample(after, 'plinto_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(after).toContain('plinto_nodejs_eventloop_lag_seconds');
  });
});

describe('metrics on METRICS_PORT', () => {
  let database: TestDatabase;
  let server: TestServer;
  let metricsPort: number;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    metricsPort = await freePort();
    server = await startServer(database, { METRICS_PORT: String(metricsPort) });
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('serves /metrics on the metrics port only', async () => {
    await signUpUser(server.url);
    const text = await scrape(`http://127.0.0.1:${metricsPort}`);
    expect(sample(text, 'plinto_auth_events_total{event="sign_up",result="success"}')).toBe(1);
    const publicPort = await fetch(`${server.url}/metrics`);
    expect(publicPort.status).toBe(404);
  });
});

describe('metrics in production', () => {
  let database: TestDatabase;
  let production: TestServer;
  let both: TestServer;
  const productionEnv = {
    NODE_ENV: 'production',
    SMTP_URL: 'smtp://127.0.0.1:2525',
    BCRYPT_COST: undefined,
  };
  const metricsUrl = (server: TestServer) =>
    `http://127.0.0.1:${(server.app.metricsServer!.address() as { port: number }).port}`;

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    production = await startServer(database, productionEnv);
    both = await startServer(database, { ...productionEnv, METRICS_ON_MAIN_PORT: 'true' });
  });
  afterAll(async () => {
    await production?.close();
    await both?.close();
    await database?.drop();
  });

  it('answers 404 for /metrics on the public port and serves it on METRICS_PORT only', async () => {
    const publicPort = await fetch(`${production.url}/metrics`);
    expect(publicPort.status).toBe(404);
    expect(await publicPort.text()).not.toContain('plinto_');
    expect(production.app.config.metricsPort).toBe(0);
    const text = await scrape(metricsUrl(production));
    expect(text).toContain('plinto_auth_events_total');
    // The metrics listener serves nothing else.
    expect((await fetch(`${metricsUrl(production)}/graphql`, { method: 'POST' })).status).toBe(404);
    // METRICS_ON_MAIN_PORT=true puts it back on the public port, on purpose.
    expect((await fetch(`${both.url}/metrics`)).status).toBe(200);
  });

  it('costs the database nothing per scrape: the live-sessions gauge is recounted on a timer', async () => {
    // Only the scrapes may query while they are counted: the server's background work on the same
    // ORM (the outbox and webhook pollers, the periodic readiness check, the gauge's own timer) is
    // stopped first. Run on its own, right after start-up, this test counted their first passes
    // (3 statements in npm run test:ledger); after the file's other test they had already run.
    await quietBackgroundWork(production);
    let statements = 0;
    production.app.services.orm.config.set('onQuery', (sql: string) => {
      statements += 1;
      return sql;
    });
    try {
      for (let i = 0; i < 10; i += 1) await scrape(metricsUrl(production));
      expect(statements).toBe(0);
      // …and the timer's recount is one statement that gives the real number.
      await production.app.services.liveSessionsGauge.refresh();
      expect(statements).toBe(1);
    } finally {
      production.app.services.orm.config.set('onQuery', (sql: string) => sql);
    }
    expect(sample(await scrape(metricsUrl(production)), 'plinto_sessions_live')).toBe(0);
  });
});
