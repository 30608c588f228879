import { describe, expect, it } from 'vitest';
import { gql, ME } from '../helpers/graphql.js';
import { useServer } from '../helpers/use-server.js';

const ALLOWED_ORIGIN = 'https://app.example.com';

const EXPECTED_HEADERS: Record<string, string> = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'referrer-policy': 'no-referrer',
  'permissions-policy': 'geolocation=(), microphone=(), camera=()',
};

function expectSecurityHeaders(headers: Headers, what: string): void {
  for (const [name, value] of Object.entries(EXPECTED_HEADERS)) {
    expect(headers.get(name), `${name} on ${what}`).toBe(value);
  }
  expect(headers.get('x-powered-by'), `x-powered-by on ${what}`).toBeNull();
}

describe('security headers and CORS', () => {
  const ctx = useServer('sqlite', { CORS_ORIGINS: `${ALLOWED_ORIGIN},http://localhost:3000` });

  it('sends the header set on /graphql, /health, a 404 and an error response', async () => {
    const graphql = await gql(ctx.server.url, ME);
    expect(graphql.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expectSecurityHeaders(graphql.headers, '/graphql');

    const health = await fetch(`${ctx.server.url}/health`);
    expect(health.status).toBe(200);
    expectSecurityHeaders(health.headers, '/health');

    const missing = await fetch(`${ctx.server.url}/no/such/page`);
    expect(missing.status).toBe(404);
    expectSecurityHeaders(missing.headers, 'a 404');

    const malformed = await fetch(`${ctx.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(malformed.status).toBe(400);
    expectSecurityHeaders(malformed.headers, 'an error response');

    const tooLarge = await fetch(`${ctx.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(200_000) } }),
    });
    expect(tooLarge.status).toBe(413);
    expectSecurityHeaders(tooLarge.headers, 'a 413');
  });

  it('marks GraphQL responses no-store, including errors', async () => {
    const ok = await gql(ctx.server.url, '{ __typename }');
    expect(ok.body.data).toEqual({ __typename: 'Query' });
    expect(ok.headers.get('cache-control')).toBe('no-store');
    // Nothing to revalidate, so no body hash per answer.
    expect(ok.headers.get('etag')).toBeNull();
    const failed = await gql(ctx.server.url, '{ nope }');
    expect(failed.status).toBe(400);
    expect(failed.headers.get('cache-control')).toBe('no-store');
  });

  it('echoes a listed origin exactly, with credentials and Vary: Origin', async () => {
    const response = await gql(ctx.server.url, '{ __typename }', {}, { origin: ALLOWED_ORIGIN });
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('gives an unlisted origin no CORS grant, never *', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'null']) {
      const response = await gql(ctx.server.url, '{ __typename }', {}, { origin });
      expect(response.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(response.headers.get('access-control-allow-credentials'), origin).toBeNull();
      expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
    }
  });

  it('answers a preflight from a listed origin and refuses one from elsewhere', async () => {
    const preflight = (origin: string) =>
      fetch(`${ctx.server.url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, authorization',
        },
      });
    const allowed = await preflight(ALLOWED_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expectSecurityHeaders(allowed.headers, 'a preflight');

    const refused = await preflight('https://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });
});
