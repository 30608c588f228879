import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { PlintoApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase, cutOffDatabase, restoreDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { bearer, gql, REFRESH, SIGN_IN, signUpUser } from '../helpers/graphql.js';
import { testEnv } from '../helpers/server.js';
import { CapturedLog } from '../helpers/captured-log.js';

describe('request logs', () => {
  let database: TestDatabase;
  let app: PlintoApp;
  let url: string;
  const log = new CapturedLog();

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const env = testEnv('sqlite', database.url, { LOG_LEVEL: 'info' });
    app = await createApp(loadConfig(env), { migrate: true, logger: createLogger('info', log) });
    url = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('writes one JSON line per sign-in request with its request id, and no password or token', async () => {
    const password = 'a very particular passphrase 7731';
    const user = await signUpUser(url, undefined, password);
    const signIn = await gql(
      url,
      SIGN_IN,
      { email: user.email, password },
      { cookie: 'plinto_rt=cookie-secret-1' },
    );
    const result = signIn.body.data?.signIn;
    expect(result.__typename).toBe('SignInSuccess');
    const requestId = signIn.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const refreshed = await gql(url, REFRESH, { refreshToken: result.tokens.refreshToken });
    await gql(url, 'query Me { me { id } }', {}, bearer(result.tokens.accessToken));

    const lines = log.lines.filter((line) => line.requestId === requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'request',
      method: 'POST',
      route: '/graphql',
      status: 200,
      operation: 'SignIn',
      service: 'plinto',
    });
    expect(typeof lines[0]!.durationMs).toBe('number');

    const secrets = [
      password,
      user.accessToken,
      user.refreshToken,
      result.tokens.accessToken,
      result.tokens.refreshToken,
      refreshed.body.data?.refreshSession.tokens.refreshToken,
      'cookie-secret-1',
    ];
    for (const secret of secrets) {
      expect(typeof secret).toBe('string');
      expect(log.text).not.toContain(secret);
    }
  });

  it('keeps a sane incoming X-Request-Id and replaces anything else', async () => {
    const kept = await fetch(`${url}/health`, { headers: { 'x-request-id': 'edge-1234.abcd' } });
    expect(kept.headers.get('x-request-id')).toBe('edge-1234.abcd');
    const hostile = 'x"\n{"level":60}';
    const replaced = await fetch(`${url}/no-such-page`, { headers: { 'x-request-id': encodeURI(hostile) } });
    const id = replaced.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const line = log.lines.find((l) => l.requestId === id);
    expect(line).toMatchObject({ status: 404, route: 'other', path: '/no-such-page' });
  });

  it('never logs the query string', async () => {
    await fetch(`${url}/reset-password?token=query-string-secret-42`);
    expect(log.text).not.toContain('query-string-secret-42');
  });

  it('redacts secrets and GraphQL variables wherever a log call puts them', () => {
    const sink = new CapturedLog();
    const logger = createLogger('info', sink);
    logger.info(
      {
        password: 'p1',
        input: { password: 'p2', newPassword: 'p3', currentPassword: 'p4', token: 't1', code: '123456' },
        variables: { email: 'a@example.com', password: 'p5' },
        body: { variables: { password: 'p6' }, query: 'mutation { x }' },
        req: { headers: { authorization: 'Bearer t2', cookie: 'plinto_rt=t3' } },
        tokens: { accessToken: 't4', refreshToken: 't5' },
      },
      'shapes',
    );
    for (const secret of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 't1', 't2', 't3', 't4', 't5', '123456']) {
      expect(sink.text).not.toContain(`"${secret}`);
    }
    expect(sink.text).toContain('mutation { x }');
  });
});

describe('a database outage seen by a GraphQL client', () => {
  it('answers SERVICE_UNAVAILABLE with no driver text, logs the cause under the request id, and recovers', async () => {
    const database = await createTestDatabase('postgresql');
    const log = new CapturedLog();
    const env = testEnv('postgresql', database.url, { LOG_LEVEL: 'info' });
    const app = await createApp(loadConfig(env), { migrate: true, logger: createLogger('info', log) });
    const url = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
    try {
      const user = await signUpUser(url);
      await cutOffDatabase(database);
      const started = Date.now();
      const down = await gql(url, SIGN_IN, { email: user.email, password: user.password });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(down.status).toBeLessThan(500);
      expect(down.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(down.text).not.toMatch(/postgres|database ".*"|terminat|ECONN|at \S+\.js|select|insert/i);
      const requestId = down.headers.get('x-request-id');
      const logged = log.lines.find((l) => l.requestId === requestId && l.msg === 'dependency unavailable');
      expect(logged?.err).toBeDefined();

      await restoreDatabase(database);
      let back = await gql(url, SIGN_IN, { email: user.email, password: user.password });
      for (let i = 0; i < 20 && back.body.data?.signIn?.__typename !== 'SignInSuccess'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        back = await gql(url, SIGN_IN, { email: user.email, password: user.password });
      }
      expect(back.body.data?.signIn.__typename).toBe('SignInSuccess');
    } finally {
      await restoreDatabase(database).catch(() => undefined);
      await app.close();
      await database.drop();
    }
  });
});
