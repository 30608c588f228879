import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPageAssets } from '../../pages.build.js';
import { launchChromium, screenshot, watchProblems } from '../helpers/browser.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { STRONG_PASSWORD, signUpUser } from '../helpers/graphql.js';
import { codeAt, enrolledUser, withinOneStep } from '../helpers/mfa.js';
import { freePort } from '../helpers/replicas.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';

/**
 * Passkeys in headless Chromium with the DevTools WebAuthn virtual authenticator (CTAP2, resident
 * keys, user verification), one per browser context. The server's address is http://localhost:PORT:
 * a secure context whose host is a valid RP ID (an IP address never is).
 */
// Each test drives a browser through several pages: more than the default 30 s on a loaded machine.
const BROWSER_FLOW_MS = 120_000;

describe('passkeys on the hosted pages (Chromium, virtual authenticator)', () => {
  let database: TestDatabase;
  let server: TestServer;
  let browser: Browser;
  let assetsDir: string;
  let origin: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    assetsDir = mkdtempSync(join(tmpdir(), 'plinto-pages-'));
    const port = await freePort();
    origin = `http://localhost:${port}`;
    const started = await Promise.all([
      createTestDatabase('sqlite'),
      launchChromium([`--host-resolver-rules=MAP localhost 127.0.0.1`]),
      buildPageAssets(assetsDir),
    ]);
    [database, browser] = started;
    server = await startServer(
      database,
      { PORT: String(port), APP_URL: origin, SIGNUP_MODE: 'immediate' },
      { pagesAssetsDir: assetsDir },
    );
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.drop();
    if (assetsDir) rmSync(assetsDir, { recursive: true, force: true });
  });

  /**
   * A fresh browser profile with its own virtual authenticator that verifies the user: a platform
   * one with resident (discoverable) keys, or a USB security key without them.
   */
  async function device(residentKeys = true): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 960, height: 720 } });
    contexts.push(context);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: residentKeys ? 'internal' : 'usb',
        hasResidentKey: residentKeys,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return { page, problems: watchProblems(page) };
  }

  async function passwordSignIn(page: Page, email: string): Promise<void> {
    await page.goto(`${origin}/sign-in`);
    await page.fill('#sign-in-email', email);
    await page.fill('#sign-in-password', STRONG_PASSWORD);
    await page.press('#sign-in-password', 'Enter');
  }

  async function addPasskey(page: Page, name: string): Promise<void> {
    await page.waitForSelector('#account:not([hidden])');
    await page.fill('#passkey-name', name);
    await page.click('#passkey-add');
    await page.waitForSelector(`#passkeys-list li .device:text("${name}")`);
  }

  async function signOut(page: Page): Promise<void> {
    await page.click('#sign-out');
    await page.waitForSelector('#signed-out:not([hidden])');
  }

  it(
    'adds a passkey on /account, signs out, and signs in with only the passkey on /sign-in',
    async () => {
      const user = await signUpUser(server.url);
      const { page, problems } = await device();
      await passwordSignIn(page, user.email);
      await page.waitForURL(`${origin}/account`);
      await addPasskey(page, 'Test laptop');
      expect(await page.textContent('#status')).toContain('Passkey “Test laptop” added');
      expect(await page.textContent('#passkeys-list')).toContain('last used never');
      await screenshot(page, 'account-passkeys.png');
      await signOut(page);

      // Nothing typed, nothing clicked: the page asks for a passkey with conditional UI (autofill),
      // the virtual authenticator answers as a user picking the offered passkey would, and the
      // discoverable credential itself says who this is.
      await page.goto(`${origin}/sign-in`);
      await page.waitForURL(`${origin}/account`);
      await page.waitForSelector('#account:not([hidden])');
      expect(await page.textContent('#profile-email')).toBe(user.email);
      expect(await page.textContent('#passkeys-list')).not.toContain('last used never');
      expect(problems).toEqual([]);
    },
    BROWSER_FLOW_MS,
  );

  it(
    'signs a TOTP user in with a user-verifying passkey without asking for a code',
    async () => {
      await withinOneStep();
      const user = await enrolledUser(server.url);
      const { page, problems } = await device();
      await passwordSignIn(page, user.email);
      await page.waitForSelector('#second-factor-form:not([hidden])');
      await page.fill('#second-factor-code', codeAt(user.secret));
      await page.press('#second-factor-code', 'Enter');
      await page.waitForURL(`${origin}/account`);
      await addPasskey(page, 'Phone');
      await signOut(page);

      await page.goto(`${origin}/sign-in`);
      await page.waitForURL(`${origin}/account`);
      await page.waitForSelector('#account:not([hidden])');
      expect(await page.textContent('#profile-email')).toBe(user.email);
      expect(await page.textContent('#profile-mfa')).toBe('On');
      expect(await page.textContent('#activity-list')).toContain('Signed in with a passkey');
      expect(await page.textContent('#activity-list')).not.toContain(
        'Passkey accepted, two-step code asked for',
      );
      expect(problems).toEqual([]);
    },
    BROWSER_FLOW_MS,
  );

  it(
    'signs in with the button and a typed address, with a security key that keeps no passkey itself',
    async () => {
      const user = await signUpUser(server.url);
      const { page, problems } = await device(false);
      await passwordSignIn(page, user.email);
      await page.waitForURL(`${origin}/account`);
      await addPasskey(page, 'USB key');
      await signOut(page);

      await page.goto(`${origin}/sign-in`);
      await page.waitForSelector('#passkey-sign-in-actions:not([hidden])');
      // A non-discoverable credential is never offered in autofill: the address names the account.
      await page.fill('#sign-in-email', user.email);
      await page.click('#passkey-sign-in');
      await page.waitForURL(`${origin}/account`);
      await page.waitForSelector('#account:not([hidden])');
      expect(await page.textContent('#profile-email')).toBe(user.email);
      expect(problems).toEqual([]);
    },
    BROWSER_FLOW_MS,
  );
});
