import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from '../../src/storage/entities/index.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { gql, STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { passwordChecks } from '../helpers/metrics.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';

const signUpDocument = (email: string, selection = '__typename') =>
  `mutation { signUp(input: { email: "${email}", password: "${STRONG_PASSWORD}" }) { ${selection} } }`;

describe('GraphQL abuse resistance', () => {
  let database: TestDatabase;
  let server: TestServer;
  let production: TestServer;

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    server = await startServer(database);
    production = await startServer(database, {
      NODE_ENV: 'production',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      // Production refuses test-only bcrypt costs; nothing here hashes a password.
      BCRYPT_COST: undefined,
    });
  });
  afterAll(async () => {
    await server?.close();
    await production?.close();
    await database?.drop();
  });

  /** Nothing ran: no account for the email and no password hashed. */
  async function expectNotExecuted(email: string, checksBefore: number): Promise<void> {
    expect(await server.app.services.orm.em.fork().count(User, { email })).toBe(0);
    expect(await passwordChecks(server.app.services.metrics)).toBe(checksBefore);
  }

  it('refuses a 40-deep document before execution', async () => {
    const email = uniqueEmail('deep');
    const before = await passwordChecks(server.app.services.metrics);
    const deep = `${'... on SignInSuccess { '.repeat(40)}__typename${' }'.repeat(40)}`;
    const response = await gql(server.url, signUpDocument(email, deep));
    expect(response.status).toBe(400);
    const messages = (response.body.errors ?? []).map((error) => error.message);
    expect(
      messages.some((message) => /depth limit of 10 exceeded/.test(message)),
      messages.join(),
    ).toBe(true);
    expect(response.body.data).toBeUndefined();
    await expectNotExecuted(email, before);
  });

  it('refuses 1,000 aliases (too many tokens) and 20 aliases (too many aliases) before execution', async () => {
    const email = uniqueEmail('aliases');
    const before = await passwordChecks(server.app.services.metrics);
    const aliased = (n: number) =>
      `mutation { ${Array.from(
        { length: n },
        (_, i) =>
          `a${i}: signUp(input: { email: "${email}", password: "${STRONG_PASSWORD}" }) { __typename }`,
      ).join(' ')} }`;
    // Short aliases, so that the document stays far below the 100 KB body limit.
    const thousand = await gql(
      server.url,
      `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: me { id }`).join(' ')} }`,
    );
    expect(thousand.status).toBe(400);
    expect(thousand.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(thousand.body.errors?.[0]?.message).toMatch(/contains more th\w+ 2000 tokens/);
    expect(thousand.body.data).toBeUndefined();
    const twenty = await gql(server.url, aliased(20));
    expect(twenty.status).toBe(400);
    expect(twenty.body.errors?.[0]?.message).toMatch(/Aliases limit of 15 exceeded/);
    await expectNotExecuted(email, before);
  });

  it('refuses too many directives before execution', async () => {
    const response = await gql(server.url, `{ __typename ${'@include(if: true) '.repeat(30)} }`);
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.message).toMatch(/Directives limit of 20 exceeded/);
  });

  it('refuses a JSON array batch', async () => {
    const email = uniqueEmail('batch');
    const before = await passwordChecks(server.app.services.metrics);
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: signUpDocument(email) }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).not.toContain('SignInSuccess');
    await expectNotExecuted(email, before);
  });

  it('refuses a mutation sent by GET, even with a preflight header', async () => {
    const email = uniqueEmail('get');
    const before = await passwordChecks(server.app.services.metrics);
    const query = encodeURIComponent(signUpDocument(email));
    const response = await fetch(`${server.url}/graphql?query=${query}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(405);
    await expectNotExecuted(email, before);
  });

  it('refuses a text/plain POST (a form a foreign site could submit)', async () => {
    const email = uniqueEmail('csrf');
    const before = await passwordChecks(server.app.services.metrics);
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: signUpDocument(email) }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Cross-Site Request Forgery/);
    await expectNotExecuted(email, before);
  });

  it('answers a 1 MB body with 413', async () => {
    const response = await gql(server.url, `{ __typename }`, { padding: 'x'.repeat(1024 * 1024) });
    expect(response.status).toBe(413);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses introspection and hides field suggestions in production only', async () => {
    const introspection = '{ __schema { queryType { name } } }';
    expect((await gql(server.url, introspection)).body.data).toEqual({
      __schema: { queryType: { name: 'Query' } },
    });
    const refused = await gql(production.url, introspection);
    expect(refused.status).toBe(400);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors?.[0]?.message).toMatch(/introspection/i);

    const typo = '{ mee { id } }';
    expect((await gql(server.url, typo)).body.errors?.[0]?.message).toMatch(/Did you mean "me"/);
    const hidden = await gql(production.url, typo);
    expect(hidden.body.errors?.[0]?.message).toContain('Cannot query field "mee"');
    expect(hidden.text).not.toMatch(/Did you mean|"me"/);
    expect(hidden.text).not.toMatch(/stacktrace|at \w+ \(/);
  });

  it('sets Node header and request timeouts', () => {
    expect(server.app.server.headersTimeout).toBeGreaterThan(0);
    expect(server.app.server.headersTimeout).toBeLessThanOrEqual(60_000);
    expect(server.app.server.requestTimeout).toBeGreaterThan(0);
    expect(server.app.server.requestTimeout).toBeLessThanOrEqual(120_000);
  });
});
