import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildPageAssets } from '../../pages.build.js';
import { Session, User } from '../../src/storage/entities/index.js';
import { focusedId, launchChromium, screenshot, watchProblems } from '../helpers/browser.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { emailFlowHelpers, startMailServer } from '../helpers/email-documents.js';
import { bearer, gql, SIGN_IN, STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { BEGIN, codeAt, CONFIRM, withinOneStep } from '../helpers/mfa.js';
import { freePort } from '../helpers/replicas.js';
import type { TestServer } from '../helpers/server.js';
import { startSmtpServer } from '../helpers/smtp.js';
import type { TestSmtpServer } from '../helpers/smtp.js';

const PASSWORD = STRONG_PASSWORD;

/**
 * The admin page (/admin, issue 21) in headless Chromium against a real server and SMTP sink: an
 * administrator with TOTP signs in through the hosted pages, finds a user and acts on them; anyone
 * else sees no user data. Every test has its own users and its own browser profile.
 */
// Several sign-ins (hashing) and a browser per test on a shared machine: more than the default 30 s.
describe('admin page in a browser', { timeout: 120_000 }, () => {
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
  const fork = () => server.app.services.orm.em.fork();

  beforeAll(async () => {
    assetsDir = mkdtempSync(join(tmpdir(), 'plinto-admin-pages-'));
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
      { PORT: String(port), APP_URL: `http://127.0.0.1:${port}` },
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

  /** A browser profile of its own; every /graphql answer it gets is kept (to prove what it never got). */
  async function device(): Promise<{ page: Page; problems: string[]; answers: string[] }> {
    const context = await browser.newContext({ viewport: { width: 960, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    const answers: string[] = [];
    page.on('response', (response) => {
      if (response.url().endsWith('/graphql'))
        void response.text().then(
          (text) => answers.push(text),
          () => undefined,
        );
    });
    return { page, problems: watchProblems(page), answers };
  }

  const expectNoProblems = (problems: string[]) => expect(problems).toEqual([]);

  const signOut = async (accessToken: string) =>
    expect((await gql(server.url, 'mutation { signOut }', {}, bearer(accessToken))).body.data).toEqual({
      signOut: true,
    });

  /** A verified user (no session left), optionally an admin and with TOTP on. */
  async function account(
    prefix: string,
    options: { admin?: boolean; totp?: boolean } = {},
  ): Promise<{ id: string; email: string; secret: string | null }> {
    const { email, tokens } = await verifiedUser(uniqueEmail(prefix));
    let secret: string | null = null;
    if (options.totp) {
      const begin = await gql(server.url, BEGIN, {}, bearer(tokens.accessToken));
      secret = begin.body.data?.beginTotpEnrollment.secret as string;
      // The previous step's code: the current one stays free for the sign-in.
      const confirm = await gql(
        server.url,
        CONFIRM,
        { code: codeAt(secret, -30) },
        bearer(tokens.accessToken),
      );
      expect(confirm.body.data?.confirmTotpEnrollment.__typename, confirm.text).toBe('RecoveryCodes');
    }
    await signOut(tokens.accessToken);
    const user = await fork().findOneOrFail(User, { email });
    if (options.admin) await fork().nativeUpdate(User, { id: user.id }, { roles: ['admin'] });
    return { id: user.id, email, secret };
  }

  /** Signs in on /sign-in (and the two-step form when there is a secret), landing on /account. */
  async function signInOnPage(page: Page, email: string, secret: string | null): Promise<void> {
    await page.goto(`${server.url}/sign-in`);
    await page.fill('#sign-in-email', email);
    await page.fill('#sign-in-password', PASSWORD);
    await page.press('#sign-in-password', 'Enter');
    if (secret) {
      await page.waitForSelector('#second-factor-form:not([hidden])');
      await page.fill('#second-factor-code', codeAt(secret));
      await page.press('#second-factor-code', 'Enter');
    }
    await page.waitForURL(`${server.url}/account`);
  }

  /** Searches /admin for `email` and opens that user. */
  async function openUser(page: Page, email: string): Promise<void> {
    await page.fill('#search-query', email);
    await page.press('#search-query', 'Enter');
    // The list may already show every user (the page lists them before any search): wait until it
    // shows the search's answer, a single row with this email, rather than for the row alone.
    await page.waitForFunction((wanted) => {
      const rows = document.querySelectorAll('#results-list li');
      return rows.length === 1 && rows[0]!.querySelector('button')?.textContent === wanted;
    }, email);
    expect(await page.locator('#results-list li').count()).toBe(1);
    expect(await page.textContent('#results-summary')).toBe('1 user shown.');
    await page.click(`#results-list button:text-is("${email}")`);
    await page.waitForSelector('#user:not([hidden])');
    expect(await page.textContent('#user-title')).toBe(email);
    expect(await focusedId(page)).toBe('user-title');
  }

  it('an admin with TOTP signs in, finds a user, disables them after confirming, and their next sign-in fails', async () => {
    await withinOneStep(15);
    const admin = await account('admin', { admin: true, totp: true });
    const target = await account('target');
    const { page, problems } = await device();

    await signInOnPage(page, admin.email, admin.secret);
    await page.goto(`${server.url}/admin`);
    await page.waitForSelector('#admin:not([hidden])');
    expect(await page.isHidden('#admin-forbidden')).toBe(true);
    await openUser(page, target.email);
    expect(await page.textContent('#user-profile')).toContain('Active');

    // Escape cancels: nothing changes and focus returns to the button.
    await page.click('#action-disable');
    await page.waitForSelector('#confirm-dialog[open]');
    expect(await focusedId(page)).toBe('confirm-reason');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !(document.getElementById('confirm-dialog') as HTMLDialogElement).open);
    expect(await focusedId(page)).toBe('action-disable');
    expect(await page.textContent('#status')).toBe('Nothing was changed.');
    expect((await fork().findOneOrFail(User, { id: target.id })).disabledAt).toBeNull();

    // Confirming without a reason is refused on the dialog, then with one it runs.
    await page.click('#action-disable');
    await page.waitForSelector('#confirm-dialog[open]');
    expect(await page.textContent('#confirm-title')).toBe(`Disable ${target.email}?`);
    await page.click('#confirm-yes');
    expect(await page.textContent('#confirm-reason-error')).toBe('Give a reason of 1 to 200 characters.');
    expect(await page.getAttribute('#confirm-reason', 'aria-invalid')).toBe('true');
    await page.fill('#confirm-reason', 'reported for abuse');
    await page.click('#confirm-yes');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('is disabled'));
    expect(await page.textContent('#user-profile')).toContain('reported for abuse');
    expect(await page.isHidden('#action-disable')).toBe(true);
    expect(await focusedId(page)).toBe('action-enable');
    expect(await page.textContent('#user-events')).toContain('Admin user disabled');
    expect(await page.textContent('#results-list')).toContain('disabled');
    await screenshot(page, 'admin.png');

    const stored = await fork().findOneOrFail(User, { id: target.id });
    expect(stored.disabledAt).not.toBeNull();
    expect(stored.disabledReason).toBe('reported for abuse');

    // The disabled user's next sign-in fails, over HTTP and on the hosted page, like a wrong password.
    const overHttp = await gql(server.url, SIGN_IN, { email: target.email, password: PASSWORD });
    expect(overHttp.body.data?.signIn.__typename, overHttp.text).toBe('InvalidCredentials');
    const victim = await device();
    await victim.page.goto(`${server.url}/sign-in`);
    await victim.page.fill('#sign-in-email', target.email);
    await victim.page.fill('#sign-in-password', PASSWORD);
    await victim.page.press('#sign-in-password', 'Enter');
    await victim.page.waitForSelector('#sign-in-form-errors:not([hidden])');
    expect(await victim.page.textContent('#sign-in-form-errors')).toContain(
      'The email or password is incorrect.',
    );
    expect(victim.page.url()).toBe(`${server.url}/sign-in`);
    expectNoProblems(problems);
    expectNoProblems(victim.problems);
  });

  it('asks a stale admin session to confirm with the password in a dialog before deleting a user', async () => {
    await withinOneStep(15);
    const admin = await account('stale-admin', { admin: true, totp: true });
    const target = await account('deleted');
    const { page, problems } = await device();
    await signInOnPage(page, admin.email, admin.secret);
    await page.goto(`${server.url}/admin`);
    await page.waitForSelector('#admin:not([hidden])');
    await openUser(page, target.email);

    // The admin signed in an hour ago (as far as the server knows): delete needs a step-up.
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await fork().nativeUpdate(Session, { user: admin.id }, { authenticatedAt: anHourAgo });
    await page.click('#action-delete');
    await page.waitForSelector('#confirm-dialog[open]');
    expect(await focusedId(page)).toBe('confirm-cancel');
    await page.click('#confirm-yes');
    await page.waitForSelector('#step-up-dialog[open]');
    expect(await focusedId(page)).toBe('step-up-password');
    // A wrong password is said on the dialog, which stays open for another try.
    await page.fill('#step-up-password', 'not my password at all');
    await page.press('#step-up-password', 'Enter');
    await page.waitForSelector('#step-up-form-errors:not([hidden])');
    expect(await page.textContent('#step-up-form-errors')).toMatch(/incorrect/i);
    expect(await fork().findOne(User, { id: target.id })).not.toBeNull();

    await page.fill('#step-up-password', PASSWORD);
    await page.press('#step-up-password', 'Enter');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('is deleted'));
    expect(await page.isHidden('#user')).toBe(true);
    expect(await page.locator('#results-list li').count()).toBe(0);
    expect(await fork().findOne(User, { id: target.id })).toBeNull();
    expectNoProblems(problems);
  });

  it('shows no user data to a non-admin, to an admin without a second factor, or to a signed-out visitor', async () => {
    const bystander = await account('bystander');
    const plain = await account('plain');
    const adminNoMfa = await account('admin-no-mfa', { admin: true });

    const visitor = await device();
    await visitor.page.goto(`${server.url}/admin`);
    await visitor.page.waitForSelector('#admin-signed-out:not([hidden])');
    expect(await visitor.page.isHidden('#admin')).toBe(true);

    const cases = [
      { who: plain, reason: 'Your account is not an administrator.' },
      { who: adminNoMfa, reason: 'Administration needs a session signed in with two-step verification' },
    ];
    for (const { who, reason } of cases) {
      const { page, problems, answers } = await device();
      await signInOnPage(page, who.email, null);
      await page.goto(`${server.url}/admin`);
      await page.waitForSelector('#admin-forbidden:not([hidden])');
      expect(await page.textContent('#admin-forbidden-reason')).toContain(reason);
      expect(await focusedId(page)).toBe('admin-forbidden');
      expect(await page.isHidden('#admin')).toBe(true);
      expect(await page.locator('#results-list li').count()).toBe(0);
      // Nothing about another user reached the browser, on the page or in any API answer.
      expect(await page.content()).not.toContain(bystander.email);
      expect(answers.length).toBeGreaterThan(0);
      expect(answers.join('\n')).not.toContain(bystander.email);
      expect(answers.join('\n')).toContain('"FORBIDDEN"');
      // Chromium logs nothing for a 200 GraphQL answer carrying an error: no script error, no CSP report.
      expectNoProblems(problems);
    }
    expectNoProblems(visitor.problems);
  });

  it('serves /admin with the pages’ CSP and no inline script', async () => {
    const response = await fetch(`${server.url}/admin`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await response.text();
    expect(html).toContain('<script type="module" src="/assets/admin.js"></script>');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/i);
    // No user data is rendered by the server: the search and the user section are empty.
    expect(html).toContain('<ul class="results" id="results-list" aria-labelledby="results-title"></ul>');
  });
});
