import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPageAssets } from '../../pages.build.js';
import { launchChromium, screenshot, watchProblems } from '../helpers/browser.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { uniqueEmail } from '../helpers/graphql.js';
import { startOidcProvider } from '../helpers/oidc-provider.js';
import type { LocalOidcProvider } from '../helpers/oidc-provider.js';
import { freePort } from '../helpers/replicas.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';

/**
 * Social sign-in in headless Chromium: the provider button on /sign-in, the local OpenID provider's
 * own login and consent pages, Plinto's callback, and the account page listing the identity.
 */
describe('social sign-in in a browser', () => {
  let database: TestDatabase;
  let idp: LocalOidcProvider;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let assetsDir: string;

  beforeAll(async () => {
    assetsDir = mkdtempSync(join(tmpdir(), 'plinto-pages-'));
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    [database, idp, browser] = await Promise.all([
      createTestDatabase('sqlite'),
      startOidcProvider([
        {
          client_id: 'plinto',
          client_secret: 'local-secret',
          redirect_uris: [`${appUrl}/oauth/callback/local`],
        },
        {
          client_id: 'plinto-second',
          client_secret: 'second-secret',
          redirect_uris: [`${appUrl}/oauth/callback/second`],
        },
      ]),
      launchChromium(),
      buildPageAssets(assetsDir),
    ]);
    server = await startServer(
      database,
      {
        PORT: String(port),
        APP_URL: appUrl,
        OAUTH_PROVIDERS: JSON.stringify([
          {
            id: 'local',
            name: 'Local ID',
            issuer: idp.issuer,
            clientId: 'plinto',
            clientSecret: 'local-secret',
            trustEmail: true,
          },
          {
            id: 'second',
            name: 'Second ID',
            issuer: idp.issuer,
            clientId: 'plinto-second',
            clientSecret: 'second-secret',
          },
        ]),
      },
      { pagesAssetsDir: assetsDir },
    );
    page = await (await browser.newContext({ viewport: { width: 960, height: 640 } })).newPage();
    problems = watchProblems(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await idp?.close();
    await database?.drop();
    if (assetsDir) rmSync(assetsDir, { recursive: true, force: true });
  });

  it('clicks the provider button on /sign-in, logs in at the provider, and lands on /account listing the identity, then links a second provider there', async () => {
    const email = uniqueEmail('chromium-social');
    idp.accounts.set('chromium-user', { email, email_verified: true });
    await page.goto(`${server.url}/sign-in`);
    const button = page.locator('#social-buttons button[data-provider="local"]');
    await button.waitFor();
    expect(await button.textContent()).toBe('Continue with Local ID');
    await button.click();

    // The provider's own pages (oidc-provider's development login and consent).
    await page.waitForURL(`${idp.issuer}/interaction/**`);
    await page.fill('input[name=login]', 'chromium-user');
    await page.fill('input[name=password]', 'any password');
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Authorize');
    await page.click('button[type=submit]');

    await page.waitForURL(`${server.url}/account`);
    await page.waitForSelector('#account:not([hidden])');
    expect(await page.textContent('#profile-email')).toBe(email);
    await page.waitForSelector('#identities:not([hidden])');
    const identities = await page.locator('#identities-list li').allTextContents();
    expect(identities).toHaveLength(1);
    expect(identities[0]).toContain('Local ID');
    expect(identities[0]).toContain(email);
    await screenshot(page, 'social-account.png');

    // Linking from /account: the button, the provider (already signed in there: consent only),
    // back to /account#link_code=…, which the page completes with the binding it kept.
    await page.click('#identities-link button:has-text("Link Second ID")');
    await page.waitForURL(`${idp.issuer}/interaction/**`);
    if (await page.locator('input[name=login]').count()) {
      await page.fill('input[name=login]', 'chromium-user');
      await page.fill('input[name=password]', 'any password');
      await page.click('button[type=submit]');
    }
    await page.waitForSelector('text=Authorize');
    await page.click('button[type=submit]');
    await page.waitForURL(`${server.url}/account`);
    await page.waitForFunction(() => document.querySelectorAll('#identities-list li').length === 2);
    const linked = await page.locator('#identities-list li').allTextContents();
    expect(linked.some((text) => text.includes('Second ID'))).toBe(true);
    expect(page.url()).not.toContain('link_code');
    // Plinto's pages complained about nothing (the provider's development pages fetch web fonts and a favicon).
    const ours = problems.filter(
      (problem) => !problem.includes(idp.issuer) && !problem.includes('fonts.googleapis.com'),
    );
    expect(ours).toEqual([]);
  });
});
