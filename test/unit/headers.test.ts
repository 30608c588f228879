import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, cors, noStore, securityHeaders } from '../../src/security/headers.js';

/**
 * The security headers and CORS middleware (src/security/headers.ts) on a bare Express app served
 * on the loopback, mounted in the order src/app.ts mounts them, without the GraphQL server:
 * test/integration/headers.test.ts proves the same on the real server; this file is fast enough
 * for Stryker.
 */
const LISTED = 'https://app.example.com';
let server: Server;
let url: string;

beforeAll(async () => {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders());
  app.use(cors([LISTED, 'http://localhost:3000']));
  app.post('/graphql', noStore, (_req, res) => {
    res.json({ reached: 'graphql' });
  });
  app.all('/other', (req, res) => {
    res.json({ reached: 'other', method: req.method });
  });
  // As src/app.ts: Express's own 404 page would replace the CSP with its own.
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  await new Promise<void>((resolve) => {
    server = app.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Every header helmet 8 sends with Plinto's options, plus Plinto's own CSP and Permissions-Policy. */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'permissions-policy': 'geolocation=(), microphone=(), camera=()',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};
/** The headers as a name → value record, only those whose names pass the filter. */
function pick(headers: Headers, keep: (name: string) => boolean): Record<string, string> {
  const picked: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (keep(name)) picked[name] = value;
  });
  return picked;
}
const securityPart = (headers: Headers) => pick(headers, (name) => name in SECURITY_HEADERS);

const CORS_NAMES = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-expose-headers',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
];
const corsPart = (headers: Headers) => pick(headers, (name) => CORS_NAMES.includes(name));

describe('security headers', () => {
  it('sends the whole header set, CSP byte for byte, on every answer', async () => {
    expect(CONTENT_SECURITY_POLICY).toBe(SECURITY_HEADERS['content-security-policy']);
    for (const response of [
      await fetch(`${url}/graphql`, { method: 'POST' }),
      await fetch(`${url}/other`),
      await fetch(`${url}/no/such/page`),
    ]) {
      expect(securityPart(response.headers), response.url).toEqual(SECURITY_HEADERS);
    }
  });

  it('marks GraphQL answers no-store and hands the request on', async () => {
    const graphql = await fetch(`${url}/graphql`, { method: 'POST' });
    expect(await graphql.json()).toEqual({ reached: 'graphql' });
    expect(graphql.headers.get('cache-control')).toBe('no-store');
    const other = await fetch(`${url}/other`);
    expect(other.headers.get('cache-control')).toBeNull();
  });
});

describe('CORS', () => {
  it('echoes a listed origin exactly, with credentials, the exposed request id and Vary: Origin', async () => {
    for (const origin of [LISTED, 'http://localhost:3000']) {
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { origin } });
      expect(await response.json()).toEqual({ reached: 'graphql' });
      expect(corsPart(response.headers)).toEqual({
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'X-Request-Id',
      });
      expect(response.headers.get('vary')).toBe('Origin');
    }
  });

  it('gives an unlisted or missing origin no CORS header at all, still with Vary: Origin', async () => {
    for (const origin of [
      'https://evil.example',
      'https://app.example.com.evil.example',
      'null',
      undefined,
    ]) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: origin === undefined ? {} : { origin },
      });
      expect(await response.json(), origin).toEqual({ reached: 'graphql' });
      expect(corsPart(response.headers), origin).toEqual({});
      expect(response.headers.get('vary'), origin).toBe('Origin');
    }
  });

  const preflight = (origin: string, requestMethod?: string) =>
    fetch(`${url}/other`, {
      method: 'OPTIONS',
      headers: {
        origin,
        ...(requestMethod ? { 'access-control-request-method': requestMethod } : {}),
        'access-control-request-headers': 'content-type, authorization',
      },
    });

  it('answers a preflight from a listed origin itself: 204, the allowed methods and headers, 10 minutes', async () => {
    const response = await preflight(LISTED, 'POST');
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(corsPart(response.headers)).toEqual({
      'access-control-allow-origin': LISTED,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'X-Request-Id',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers':
        'Content-Type, Authorization, X-Request-Id, X-Refresh-Token-Transport, Apollo-Require-Preflight, X-Apollo-Operation-Name',
      'access-control-max-age': '600',
    });
    expect(securityPart(response.headers)).toEqual(SECURITY_HEADERS);
  });

  it('refuses a preflight from an unlisted origin with 403 and no CORS header', async () => {
    const response = await preflight('https://evil.example', 'POST');
    expect(response.status).toBe(403);
    expect(await response.text()).toBe('');
    expect(corsPart(response.headers)).toEqual({});
    expect(response.headers.get('vary')).toBe('Origin');
  });

  it('hands a plain OPTIONS request (no Access-Control-Request-Method) on, as any other request', async () => {
    for (const origin of [LISTED, 'https://evil.example']) {
      const response = await preflight(origin);
      expect(response.status, origin).toBe(200);
      expect(await response.json(), origin).toEqual({ reached: 'other', method: 'OPTIONS' });
      expect(response.headers.get('access-control-allow-methods'), origin).toBeNull();
      expect(response.headers.get('access-control-max-age'), origin).toBeNull();
    }
  });

  it('never answers a non-OPTIONS request as a preflight, even with the preflight header', async () => {
    const response = await fetch(`${url}/other`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ reached: 'other', method: 'POST' });
  });
});
