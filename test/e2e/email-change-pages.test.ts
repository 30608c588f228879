import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPageAssets } from '../../pages.build.js';
import { User } from '../../src/storage/entities/index.js';
import { launchChromium, watchProblems } from '../helpers/browser.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { startMailServer } from '../helpers/email-documents.js';
import { bearer, gql, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import { freePort } from '../helpers/replicas.js';
import type { TestServer } from '../helpers/server.js';
import { linkIn, startSmtpServer } from '../helpers/smtp.js';
import type { TestSmtpServer } from '../helpers/smtp.js';

const CHANGE = `mutation($e: String!) { changeEmail(newEmail: $e) { __typename } }`;

/** changeEmail's two mailed links open hosted landings that spend the token only on a button press. */
describe('changeEmail link landings in a browser', () => {
  let database: TestDatabase;
  let smtp: TestSmtpServer;
  let server: TestServer;
  let browser: Browser;
  let assetsDir: string;

  beforeAll(async () => {
    assetsDir = mkdtempSync(join(tmpdir(), 'plinto-pages-'));
    const port = await freePort();
    [database, smtp, browser] = await Promise.all([
      createTestDatabase('sqlite'),
      startSmtpServer(),
      launchChromium(),
      buildPageAssets(assetsDir),
    ]);
    server = await startMailServer(
      database,
      smtp.url,
      { PORT: String(port), APP_URL: `http://127.0.0.1:${port}`, SIGNUP_MODE: 'immediate' },
      { pagesAssetsDir: assetsDir },
    );
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
    await database?.drop();
    if (assetsDir) rmSync(assetsDir, { recursive: true, force: true });
  });

  it('confirms the new address and undoes the change from the mailed links', async () => {
    const user = await signUpUser(server.url);
    const next = uniqueEmail('landing');
    expect(
      (await gql(server.url, CHANGE, { e: next }, bearer(user.accessToken))).body.data?.changeEmail,
    ).toEqual({
      __typename: 'EmailChangeRequested',
    });
    const confirm = linkIn(
      await smtp.waitFor(next, /Confirm your new email address/),
      '/confirm-email-change',
    );
    const undo = linkIn(await smtp.waitFor(user.email, /change of your email address/), '/undo-email-change');
    const fork = () => server.app.services.orm.em.fork();

    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const problems = watchProblems(page);
      await page.goto(confirm.url);
      // Opening the link spends nothing (mail scanners open links): the address is unchanged.
      await page.waitForSelector('#confirm-email-change-form:not([hidden])');
      expect((await fork().findOneOrFail(User, { id: user.userId })).email).toBe(user.email);
      await page.click('#confirm-email-change-form button[type=submit]');
      await page.waitForSelector('#confirm-email-change-next:not([hidden])');
      expect(await page.textContent('#status')).toContain(`${next} is now the address`);
      expect((await fork().findOneOrFail(User, { id: user.userId })).email).toBe(next);

      await page.goto(undo.url);
      await page.click('#undo-email-change-form button[type=submit]');
      await page.waitForSelector('#undo-email-change-next:not([hidden])');
      expect(await page.textContent('#status')).toContain(`${user.email} is your address again`);
      expect((await fork().findOneOrFail(User, { id: user.userId })).email).toBe(user.email);

      // The same link again: refused, with the message on the page.
      await page.goto(undo.url);
      await page.click('#undo-email-change-form button[type=submit]');
      await page.waitForFunction(() =>
        document.body.textContent?.includes('invalid, expired or already used'),
      );
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
