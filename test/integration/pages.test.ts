import { get } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPageAssets, PAGE_SCRIPTS } from '../../pages.build.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { gql, ME } from '../helpers/graphql.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';

const APP_ORIGIN = 'https://app.example.com';
const PAGES = ['/sign-up', '/sign-in', '/verify-email', '/reset-password', '/magic-link', '/account'];
const SECURITY_HEADERS = [
  'content-security-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'permissions-policy',
  'cross-origin-opener-policy',
];

describe('hosted pages over HTTP', () => {
  let database: TestDatabase;
  let server: TestServer;
  let assetsDir: string;

  beforeAll(async () => {
    assetsDir = mkdtempSync(join(tmpdir(), 'plinto-pages-'));
    [database] = await Promise.all([createTestDatabase('sqlite'), buildPageAssets(assetsDir)]);
    server = await startServer(database, { CORS_ORIGINS: APP_ORIGIN }, { pagesAssetsDir: assetsDir });
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    if (assetsDir) rmSync(assetsDir, { recursive: true, force: true });
  });

  it('declares method="post" on every hosted form, gives secret fields no name, and limits form targets to this origin', async () => {
    let forms = 0;
    let secrets = 0;
    for (const path of [
      ...PAGES,
      '/verify-email#token=t',
      '/reset-password?token=t',
      '/magic-link?token=t',
    ]) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.headers.get('content-security-policy'), path).toContain("form-action 'self'");
      const html = await response.text();
      for (const form of html.match(/<form\b[^>]*>/g) ?? []) {
        forms += 1;
        // Without the script, a GET form would put every named field into the URL (history, logs).
        expect(form, path).toMatch(/\smethod="post"/);
      }
      for (const input of html.match(/<input\b[^>]*>/g) ?? []) {
        if (/type="password"|autocomplete="one-time-code"/.test(input)) {
          secrets += 1;
          expect(input, path).not.toMatch(/\sname=/);
        }
      }
    }
    expect(forms).toBeGreaterThanOrEqual(12);
    expect(secrets).toBeGreaterThanOrEqual(6);
  });

  it('serves every page with the API headers, no-store, and no inline script or style', async () => {
    const api = await gql(server.url, ME);
    for (const path of [
      ...PAGES,
      '/verify-email?token=t',
      '/reset-password?token=t',
      '/magic-link?token=t',
    ]) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control'), path).toBe('no-store');
      for (const name of SECURITY_HEADERS) {
        expect(response.headers.get(name), `${name} on ${path}`).toBe(api.headers.get(name));
        expect(response.headers.get(name), `${name} on ${path}`).not.toBeNull();
      }
      const html = await response.text();
      // The CSP blocks inline code: every script is an external same-origin file, no style anywhere.
      expect(html.match(/<script\b[^>]*>/g), path).toHaveLength(1);
      expect(html, path).toMatch(/<script type="module" src="\/assets\/[a-z-]+\.js"><\/script>/);
      expect(html, path).not.toMatch(/<style|\sstyle=|\son[a-z]+=|javascript:/i);
      // Every input has a label pointing at it.
      for (const [, id] of html.matchAll(/<input id="([^"]+)"/g)) {
        expect(html, `label for #${id} on ${path}`).toContain(`<label for="${id}">`);
      }
    }
  });

  it('redirects / to the account page with the security headers, and leaves the API routes alone', async () => {
    const api = await gql(server.url, ME);
    for (const method of ['GET', 'HEAD']) {
      const response = await fetch(`${server.url}/?redirect=${encodeURIComponent(APP_ORIGIN)}`, {
        method,
        redirect: 'manual',
      });
      expect(response.status, method).toBe(302);
      // A fixed, same-origin address: nothing from the request (query, Host) goes into it.
      expect(response.headers.get('location'), method).toBe('/account');
      for (const name of SECURITY_HEADERS) {
        expect(response.headers.get(name), `${name} on ${method} /`).not.toBeNull();
        expect(response.headers.get(name), `${name} on ${method} /`).toBe(api.headers.get(name));
      }
    }
    // The browser lands on the account page, which decides signed in or out by asking the API.
    const followed = await fetch(`${server.url}/`);
    expect(followed.url).toBe(`${server.url}/account`);
    expect(await followed.text()).toContain('id="signed-out"');

    expect(api.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    for (const [path, type] of [
      ['/health', /json/],
      ['/ready', /json/],
      ['/metrics', /^text\/plain/],
      ['/.well-known/jwks.json', /json/],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(type);
    }
    expect((await fetch(`${server.url}/no/such/page`, { redirect: 'manual' })).status).toBe(404);
  });

  it('renders the landing of an email link without putting its token in the page', async () => {
    // A legacy ?token= link (mailed before 0.2): the landing is shown at once.
    const token = 'tok_0123456789abcdef';
    const html = await (await fetch(`${server.url}/verify-email?token=${token}`)).text();
    expect(html).toContain('<div id="verify-email-landing" data-title="Confirm your email address">');
    expect(html).toContain(
      '<div id="verify-email-request" data-title="Send a new verification link" hidden>',
    );
    expect(html).not.toContain(token);
    // A current link (#token=) reaches the server as the bare path: both variants are in the page,
    // the request form shown, and the script switches to the landing when it finds the fragment.
    const bare = await (await fetch(`${server.url}/verify-email`)).text();
    expect(bare).toContain('<div id="verify-email-landing" data-title="Confirm your email address" hidden>');
    expect(bare).toContain('request-verification-form');
    expect(bare).toContain('Confirm my email address');
  });

  it.each([
    'https://evil.example/',
    '//evil.example/',
    '/\\evil.example',
    'javascript:alert(document.domain)',
    `${APP_ORIGIN}.evil.example/`,
    `${APP_ORIGIN}@evil.example/`,
    '/account',
  ])('refuses redirect=%s with a 400 and a notice, and never links to it', async (redirect) => {
    const response = await fetch(`${server.url}/sign-in?redirect=${encodeURIComponent(redirect)}`);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('That return address is not allowed');
    expect(html).not.toContain('evil.example');
    expect(html).not.toContain('?redirect=');
  });

  it('refuses a repeated redirect parameter', async () => {
    const response = await fetch(
      `${server.url}/sign-in?redirect=${APP_ORIGIN}/&redirect=https://evil.example/`,
    );
    expect(response.status).toBe(400);
  });

  it('keeps an allowed redirect on the links between the pages, escaped', async () => {
    const target = `${APP_ORIGIN}/back?next="><script>alert(1)</script>`;
    const response = await fetch(`${server.url}/sign-in?redirect=${encodeURIComponent(target)}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).not.toContain('redirect-refused');
    expect(html).not.toContain('<script>alert');
    const normalized = new URL(target).href;
    expect(html).toContain(`href="/sign-up?redirect=${encodeURIComponent(normalized)}"`);
  });

  it('serves the prebuilt scripts and stylesheet, and nothing outside their directory', async () => {
    for (const name of PAGE_SCRIPTS) {
      const response = await fetch(`${server.url}/assets/${name}.js`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get('content-type'), name).toMatch(/^(text|application)\/javascript/);
      expect(response.headers.get('content-security-policy'), name).not.toBeNull();
      const script = await response.text();
      // Bundled at build time: no bare imports left for the browser to resolve.
      expect(/(^|[;\n])\s*import[\s{*"']/.test(script), `${name} has an import statement`).toBe(false);
    }
    const css = await fetch(`${server.url}/assets/pages.css`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect((await fetch(`${server.url}/assets/%2e%2e/package.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
  });

  it('lets the browser revalidate the unhashed assets: ETag and no-cache, then 304 while unchanged', async () => {
    const first = await fetch(`${server.url}/assets/pages.css`);
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    expect(first.headers.get('cache-control')).toBe('no-cache');
    // node:http, not fetch: fetch adds Cache-Control: no-cache to a conditional request, as the spec says.
    const status = await new Promise<number | undefined>((resolve, reject) =>
      get(`${server.url}/assets/pages.css`, { headers: { 'if-none-match': etag! } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      }).on('error', reject),
    );
    expect(status).toBe(304);
  });
});
