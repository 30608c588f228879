import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { gql, SIGN_IN, signUpUser } from '../helpers/graphql.js';
import { startServer } from '../helpers/server.js';
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
