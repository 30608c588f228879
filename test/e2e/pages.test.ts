import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildPageAssets } from '../../pages.build.js';
import { focusedId, launchChromium, screenshot, watchProblems } from '../helpers/browser.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { emailFlowHelpers, startMailServer } from '../helpers/email-documents.js';
import { bearer, gql, SIGN_IN, STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { BEGIN, codeAt, CONFIRM, withinOneStep, wrongCode } from '../helpers/mfa.js';
import { freePort } from '../helpers/replicas.js';
import type { TestServer } from '../helpers/server.js';
import { linkIn, startSmtpServer } from '../helpers/smtp.js';
import type { TestSmtpServer } from '../helpers/smtp.js';

const APP_ORIGIN = 'https://app.example.test';
const FOREIGN = 'https://evil.example.test';
const PASSWORD = STRONG_PASSWORD;
const NEW_PASSWORD = 'a brand new passphrase 77';

/**
 * Every flow of the hosted pages in headless Chromium against a real server and a real SMTP
 * server: the links in the mails open these pages (APP_URL is the server's own address).
 * Tests run in a random order: each one has its own user, set up through the API where the page
 * under test is not the point, and its own browser profile (a device).
 */
describe('hosted pages in a browser', () => {
  let database: TestDatabase;
  let smtp: TestSmtpServer;
  let server: TestServer;
  let browser: Browser;
  let assetsDir: string;
  const contexts: BrowserContext[] = [];
  const { verifiedUser } = emailFlowHelpers(
    () => server,
    () => smtp,
  );

  beforeAll(async () => {
    assetsDir = mkdtempSync(join(tmpdir(), 'plinto-pages-'));
    const port = await freePort();
    const started = await Promise.all([
      createTestDatabase('sqlite'),
      startSmtpServer(),
      launchChromium(),
      buildPageAssets(assetsDir),
    ]);
    [database, smtp, browser] = started;
    server = await startMailServer(
      database,
      smtp.url,
      { PORT: String(port), APP_URL: `http://127.0.0.1:${port}`, CORS_ORIGINS: APP_ORIGIN },
      { pagesAssetsDir: assetsDir },
    );
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
    await database?.drop();
    if (assetsDir) rmSync(assetsDir, { recursive: true, force: true });
  });

  /** A browser profile of its own, whose script errors and CSP violations are collected. */
  async function device(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 960, height: 640 } });
    contexts.push(context);
    // The app that sent the user here: answered by the test, the browser never leaves the machine.
    await context.route(`${APP_ORIGIN}/**`, (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: '<title>App</title><p>back in the app</p>',
      }),
    );
    const page = await context.newPage();
    return { context, page, problems: watchProblems(page) };
  }

  /** No script error and no Content-Security-Policy violation (Chromium notes a refused redirect's 400). */
  const expectNoProblems = (problems: string[]) =>
    expect(problems.filter((p) => !p.includes('status of 400'))).toEqual([]);

  /** A verified user whose only session (the verification's) is signed out again. */
  async function verifiedAccount(prefix: string): Promise<{ email: string; accessToken: string }> {
    const user = await verifiedUser(uniqueEmail(prefix));
    return { email: user.email, accessToken: user.tokens.accessToken };
  }
  const signOut = async (accessToken: string) =>
    expect((await gql(server.url, 'mutation { signOut }', {}, bearer(accessToken))).body.data).toEqual({
      signOut: true,
    });

  /** A verified user with TOTP on (confirmed with the previous step's code) and no session left. */
  async function totpAccount(prefix: string): Promise<{ email: string; secret: string }> {
    const { email, accessToken } = await verifiedAccount(prefix);
    const begin = await gql(server.url, BEGIN, {}, bearer(accessToken));
    const secret = begin.body.data?.beginTotpEnrollment.secret as string;
    const confirm = await gql(server.url, CONFIRM, { code: codeAt(secret, -30) }, bearer(accessToken));
    expect(confirm.body.data?.confirmTotpEnrollment.__typename, confirm.text).toBe('RecoveryCodes');
    await signOut(accessToken);
    return { email, secret };
  }

  async function signInOnPage(page: Page, email: string, password = PASSWORD): Promise<void> {
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#sign-in-email', email);
    await page.fill('#sign-in-password', password);
    await page.press('#sign-in-password', 'Enter');
  }

  it('signs up, and the mailed verification link opens a page that signs the user in', async () => {
    const { context: laptop, page, problems } = await device();
    const email = uniqueEmail('browser');
    await page.goto(`${server.url}/sign-up`);
    // Submitting empty: the errors are linked to the fields and focus moves to the summary.
    await page.click('#sign-up-form button[type=submit]');
    expect(await focusedId(page)).toBe('sign-up-form-errors');
    expect(await page.getAttribute('#sign-up-email', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#sign-up-email', 'aria-describedby')).toContain('sign-up-email-error');
    expect(await page.textContent('#sign-up-email-error')).toBe('Enter your email address.');

    await page.fill('#sign-up-email', email);
    await page.fill('#sign-up-password', PASSWORD);
    await page.press('#sign-up-password', 'Enter');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('we sent'));

    const link = linkIn(await smtp.waitFor(email, /Confirm your email/), '/verify-email');
    expect(link.url.startsWith(`${server.url}/verify-email#token=`)).toBe(true);
    await page.goto(link.url);
    // The token leaves the address bar (history, screenshots) as soon as the script has it.
    expect(page.url()).toBe(`${server.url}/verify-email`);
    await page.click('text=Confirm my email address');
    await page.waitForURL(`${server.url}/account`);
    await page.waitForSelector('#account:not([hidden])');
    expect(await page.textContent('#profile-email')).toBe(email);
    expect(await page.textContent('#profile-verified')).toBe('Yes');
    // Confirming cleared the sign-up password (pre-account hijacking): the owner sets it here.
    await page.fill('#change-password-new', PASSWORD);
    await page.press('#change-password-new', 'Enter');
    await page.waitForFunction(() =>
      document.getElementById('status')?.textContent?.includes('password has been changed'),
    );

    // The refresh token is an HttpOnly, Secure, SameSite=Strict cookie scoped to /graphql.
    const [cookie] = await laptop.cookies(`${server.url}/graphql`);
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/graphql' });
    expectNoProblems(problems);
  });

  it('refuses a redirect to a foreign origin, and follows one to an allowed origin', async () => {
    const { page, problems } = await device();
    const { email } = await verifiedAccount('redirect');

    const foreignRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(FOREIGN)) foreignRequests.push(request.url());
    });
    const refused = await page.goto(
      `${server.url}/sign-in?redirect=${encodeURIComponent(`${FOREIGN}/steal`)}`,
    );
    expect(refused?.status()).toBe(400);
    expect(await page.textContent('#redirect-refused')).toContain('That return address is not allowed');
    await screenshot(page, 'sign-in-redirect-refused.png');

    // Keyboard only: wrong password first, then the right one, submitting with Enter.
    await page.focus('#sign-in-email');
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    await page.keyboard.type('not the password');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#sign-in-form-errors:not([hidden])');
    expect(await focusedId(page)).toBe('sign-in-form-errors');
    expect(await page.textContent('#sign-in-form-errors')).toContain('The email or password is incorrect.');
    await page.fill('#sign-in-password', PASSWORD);
    await page.press('#sign-in-password', 'Enter');
    await page.waitForURL(`${server.url}/account`);
    expect(foreignRequests).toEqual([]);

    await page.click('#sign-out');
    await page.waitForSelector('#signed-out:not([hidden])');
    await page.goto(`${server.url}/sign-in?redirect=${encodeURIComponent(`${APP_ORIGIN}/welcome`)}`);
    expect(await page.$('#redirect-refused')).toBeNull();
    await screenshot(page, 'sign-in.png');
    await page.fill('#sign-in-email', email);
    await page.fill('#sign-in-password', PASSWORD);
    await page.press('#sign-in-password', 'Enter');
    await page.waitForURL(`${APP_ORIGIN}/welcome`);
    expectNoProblems(problems);
  });

  it('enrols TOTP from the account page (QR code as SVG, secret on the page) and shows recovery codes', async () => {
    const { page, problems } = await device();
    const { email, accessToken } = await verifiedAccount('enrol');
    await signOut(accessToken);
    await signInOnPage(page, email);
    await page.waitForURL(`${server.url}/account`);
    await page.waitForSelector('#account:not([hidden])');
    // Only so that the step cannot turn between computing the code and the server checking it.
    await withinOneStep(4);
    await page.click('#totp-begin');
    await page.waitForSelector('#totp-confirm-form:not([hidden])');
    expect(await page.$('#totp-qr svg path')).not.toBeNull();
    const secret = (await page.textContent('#totp-secret'))?.trim() ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);

    // The code of the previous step (still inside the window) leaves the current one for sign-in.
    await page.fill('#totp-confirm-code', codeAt(secret, -30));
    await page.press('#totp-confirm-code', 'Enter');
    await page.waitForSelector('#recovery-codes:not([hidden])');
    expect(await page.locator('#recovery-codes-list li').count()).toBe(10);
    expect(await page.textContent('#profile-mfa')).toBe('On');
    expect(await focusedId(page)).toBe('recovery-codes');
    await screenshot(page, 'account.png');
    expectNoProblems(problems);
  });

  it('signs out, and signs in again with the password and then the authenticator code', async () => {
    const { page, problems } = await device();
    // Only so that the step cannot turn between enrolling and the codes below.
    await withinOneStep(10);
    const { email, secret } = await totpAccount('totp');
    await page.goto(`${server.url}/account`);
    await page.waitForSelector('#signed-out:not([hidden])');
    await page.click('#signed-out a');
    await page.waitForURL(`${server.url}/sign-in`);
    await page.fill('#sign-in-email', email);
    await page.fill('#sign-in-password', PASSWORD);
    await page.press('#sign-in-password', 'Enter');
    await page.waitForSelector('#second-factor-form:not([hidden])');
    expect(await focusedId(page)).toBe('second-factor-code');

    await page.fill('#second-factor-code', wrongCode(secret));
    await page.press('#second-factor-code', 'Enter');
    await page.waitForSelector('#second-factor-code-error:not([hidden])');
    expect(await page.textContent('#second-factor-code-error')).toBe(
      'The code is incorrect or was already used.',
    );

    await page.fill('#second-factor-code', codeAt(secret));
    await page.press('#second-factor-code', 'Enter');
    await page.waitForURL(`${server.url}/account`);
    await page.waitForSelector('#account:not([hidden])');
    expect(await page.locator('#sessions-list li').count()).toBe(1);
    expectNoProblems(problems);
  });

  it('resets the password through the mailed link on another device, and the old session is gone', async () => {
    const { page, problems } = await device();
    const { email, accessToken } = await verifiedAccount('reset');
    await signOut(accessToken);
    // Signed in on the laptop: the one session the reset ends.
    await signInOnPage(page, email);
    await page.waitForURL(`${server.url}/account`);
    await page.waitForSelector('#account:not([hidden])');

    const phone = await browser.newContext();
    try {
      const other = await phone.newPage();
      const otherProblems = watchProblems(other);
      await other.goto(`${server.url}/reset-password`);
      await other.fill('#request-reset-email', email);
      await other.press('#request-reset-email', 'Enter');
      await other.waitForFunction(() =>
        document.getElementById('status')?.textContent?.includes('we have sent'),
      );

      const link = linkIn(await smtp.waitFor(email, /Reset your password/), '/reset-password');
      expect(link.url.startsWith(`${server.url}/reset-password#token=`)).toBe(true);
      await other.goto(link.url);
      await other.fill('#reset-password-new', NEW_PASSWORD);
      await other.fill('#reset-password-confirm', `${NEW_PASSWORD}!`);
      await other.press('#reset-password-confirm', 'Enter');
      expect(await other.textContent('#reset-password-confirm-error')).toBe(
        'The two passwords are not the same.',
      );
      await other.fill('#reset-password-confirm', NEW_PASSWORD);
      await other.press('#reset-password-confirm', 'Enter');
      await other.waitForSelector('#reset-password-next:not([hidden])');
      expect(await other.textContent('#status')).toContain('1 device was signed out');
      expect(otherProblems).toEqual([]);
    } finally {
      await phone.close();
    }

    // The laptop's tab still shows the account; reloading it asks the server, which says signed out.
    await page.reload();
    await page.waitForSelector('#signed-out:not([hidden])');
    expect(await page.isHidden('#account')).toBe(true);
    expect(await page.textContent('#status')).toBe('You are signed out.');

    // And the old password no longer works.
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#sign-in-email', email);
    await page.fill('#sign-in-password', PASSWORD);
    await page.press('#sign-in-password', 'Enter');
    await page.waitForSelector('#sign-in-form-errors:not([hidden])');
    expect(await page.textContent('#sign-in-form-errors')).toContain('The email or password is incorrect.');
    expectNoProblems(problems);
  });

  it('signs in with a mailed magic link, which asks for the second factor too', async () => {
    const { page, problems } = await device();
    await withinOneStep(10);
    const { email, secret } = await totpAccount('magic');
    await page.goto(`${server.url}/magic-link`);
    await page.fill('#request-magic-link-email', email);
    await page.press('#request-magic-link-email', 'Enter');
    await page.waitForFunction(() =>
      document.getElementById('status')?.textContent?.includes('we have sent'),
    );
    const link = linkIn(await smtp.waitFor(email, /Your sign-in link/), '/magic-link');
    await page.goto(link.url);
    await page.click('#magic-link-form button[type=submit]');
    await page.waitForSelector('#second-factor-form:not([hidden])');
    // The current step: the enrolment used the one before.
    await page.fill('#second-factor-code', codeAt(secret));
    await page.press('#second-factor-code', 'Enter');
    await page.waitForURL(`${server.url}/account`);
    await page.waitForSelector('#account:not([hidden])');
    // The enrolment's session was signed out: this one is the only one.
    expect(await page.locator('#sessions-list li').count()).toBe(1);
    expect(await page.textContent('#sessions-list li')).toContain('This device');
    expectNoProblems(problems);
  });

  it('shows the recent security activity on the account page, in plain words, with show more', async () => {
    const owner = await verifiedUser(uniqueEmail('activity'));
    // More than a page (20) of events before the browser's own: sign-ins from a script, one of
    // them with a user agent that would be markup if the page ever put it in as HTML.
    const hostileAgent = '<img src=x id=injected>';
    for (let i = 0; i < 20; i += 1) {
      const agent = i === 0 ? hostileAgent : 'Plinto test script';
      const signedIn = await gql(
        server.url,
        SIGN_IN,
        { email: owner.email, password: STRONG_PASSWORD },
        {
          'user-agent': agent,
        },
      );
      expect(signedIn.body.data?.signIn.__typename).toBe('SignInSuccess');
    }

    const desktop = await browser.newContext({ viewport: { width: 960, height: 640 } });
    try {
      const tab = await desktop.newPage();
      const tabProblems = watchProblems(tab);
      await tab.goto(`${server.url}/sign-in`);
      await tab.fill('#sign-in-email', owner.email);
      await tab.fill('#sign-in-password', 'not the password');
      await tab.press('#sign-in-password', 'Enter');
      await tab.waitForSelector('#sign-in-form-errors:not([hidden])');
      await tab.fill('#sign-in-password', STRONG_PASSWORD);
      await tab.press('#sign-in-password', 'Enter');
      await tab.waitForURL(`${server.url}/account`);
      await tab.waitForSelector('#account:not([hidden])');

      const events = tab.locator('#activity-list > li');
      expect(await events.count()).toBe(20);
      // Newest first: this browser's sign-in, marked as this session, then the failed attempt.
      const newest = events.nth(0);
      expect(await newest.locator('.what').innerText()).toBe('Signed in with your password');
      expect(await newest.locator('.current').innerText()).toBe('This session');
      expect(await newest.locator('.details').innerText()).toContain('HeadlessChrome');
      expect(await newest.locator('.details').innerText()).toMatch(/127\.0\.0\.1/);
      const failedAttempt = events.nth(1);
      expect(await failedAttempt.locator('.what').innerText()).toBe('Failed sign-in: wrong password');
      expect(await failedAttempt.getAttribute('class')).toBe('event attention');
      expect(await failedAttempt.locator('.current').count()).toBe(0);
      // The script's sign-ins are other sessions: only one event says "This session".
      expect(await events.nth(2).innerText()).toContain('Plinto test script');
      expect(await tab.locator('#activity-list .current').count()).toBe(1);
      await screenshot(tab, 'account-activity.png');

      // The first page ends inside the script's sign-ins; the older events are one click away.
      const more = tab.locator('#activity-more');
      expect(await more.isVisible()).toBe(true);
      expect(await more.innerText()).toBe('Show older activity');
      await more.click();
      await tab.waitForFunction(() => document.querySelectorAll('#activity-list > li').length > 20);
      const all = await events.locator('.what').allInnerTexts();
      // The 20 script sign-ins and the browser's, then the verification and, oldest, the sign-up.
      expect(all.filter((what) => what === 'Signed in with your password')).toHaveLength(21);
      expect(all).toContain('Email address confirmed');
      expect(all.at(-1)).toBe('Account created');
      // The second page follows the cursor: no event twice.
      const ids = await events.evaluateAll((items) => items.map((item) => item.dataset.eventId));
      expect(new Set(ids).size).toBe(all.length);
      // Nothing older is left: the button goes, and focus is on the first event it added.
      expect(await more.isHidden()).toBe(true);
      expect(
        await tab.evaluate(() => document.activeElement?.matches('#activity-list > li:nth-child(21)')),
      ).toBe(true);
      expect(await tab.textContent('#status')).toMatch(/^\d+ older events? shown\.$/);

      // The hostile user agent is shown as text, never turned into an element.
      expect(await tab.locator('#activity-list').innerText()).toContain(hostileAgent);
      expect(await tab.locator('#injected').count()).toBe(0);
      expect(tabProblems).toEqual([]);
    } finally {
      await desktop.close();
    }
  });
});
