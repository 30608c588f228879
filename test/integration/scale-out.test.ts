import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPageAssets } from '../../pages.build.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_PAGE_ASSETS_DIR } from '../../src/pages/pages.routes.js';
import { migrate, openOrm } from '../../src/storage/orm.js';
import { launchChromium, watchProblems } from '../helpers/browser.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { bearer, gql, ME, REFRESH, SIGN_IN, signUpUser } from '../helpers/graphql.js';
import { gqlFrom } from '../helpers/local-address.js';
import { freePort, startBalancer, startReplica, stopReplica } from '../helpers/replicas.js';
import type { Balancer, Replica } from '../helpers/replicas.js';
import { testEnv } from '../helpers/server.js';
import { linkIn, startSmtpServer } from '../helpers/smtp.js';
import type { TestSmtpServer } from '../helpers/smtp.js';

/**
 * Three app processes on one PostgreSQL database and one Redis (same key prefix), behind a real
 * nginx running the shipped deployment/nginx/nginx-ssl.conf (without TLS) on loopback: what one
 * replica does, the others know at once, and every emailed link works through the proxy.
 */
describe('three replicas behind nginx', () => {
  let database: TestDatabase;
  let replicas: Replica[] = [];
  let balancer: Balancer;
  let smtp: TestSmtpServer;
  let browser: Browser;
  let env: Record<string, string>;

  beforeAll(async () => {
    const balancerPort = await freePort();
    [database, smtp, browser] = await Promise.all([
      createTestDatabase('postgresql'),
      startSmtpServer(),
      launchChromium(),
      // The replicas run src/main.ts, which serves the pages from the default build directory.
      buildPageAssets(DEFAULT_PAGE_ASSETS_DIR),
    ]);
    // Like production: the schema is migrated once, before the replicas start.
    // Rate limits on, as in production; sign-ups raised so the other tests can make users freely.
    // Mail goes out for real, and its links point at nginx (APP_URL), not at a replica.
    env = testEnv('postgresql', database.url, {
      TRUST_PROXY: 'loopback',
      RATE_LIMITS_ENABLED: 'true',
      RATE_LIMITS: 'signUp=1000/60',
      APP_URL: `http://127.0.0.1:${balancerPort}`,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Plinto <no-reply@plinto.test>',
      MAIL_POLL_INTERVAL_MS: '50',
    });
    const orm = await openOrm(loadConfig(env).database);
    await migrate(orm);
    await orm.close(true);
    replicas = await Promise.all([startReplica(env), startReplica(env), startReplica(env)]);
    balancer = await startBalancer(
      replicas.map((r) => r.port),
      balancerPort,
    );
    // Three processes compiling TypeScript at once take a while on a loaded machine.
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await balancer?.stop();
    await Promise.all(replicas.map((r) => stopReplica(r, 'SIGKILL')));
    await smtp?.close();
    await database?.drop();
  });

  it('follows a verification, a reset and a magic-link mail through nginx to their pages, and no token reaches its log', async () => {
    const user = await signUpUser(balancer.url);
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watchProblems(page);
    const tokens: string[] = [];
    /** Asks for a link on the page at `path`, and returns the link from the mail that arrives. */
    const mailedLink = async (
      path: '/verify-email' | '/reset-password' | '/magic-link',
      field: string,
      subject: RegExp,
    ) => {
      const before = smtp.mailsTo(user.email).filter((m) => subject.test(m.subject)).length;
      await page.goto(`${balancer.url}${path}`);
      await page.fill(field, user.email);
      await page.press(field, 'Enter');
      await page
        .waitForFunction(
          () => document.getElementById('status')?.textContent?.includes('we have sent'),
          null,
          {
            timeout: 20_000,
          },
        )
        .catch(async (error: Error) => {
          throw new Error(`${error.message}\n${await page.content()}\n${problems.join('\n')}`);
        });
      const [mail] = (await smtp.waitForCount(user.email, subject, before + 1)).slice(-1);
      const link = linkIn(mail!, path);
      // The token is in the fragment, after nginx's own address: the browser keeps it to itself.
      expect(link.url).toBe(`${balancer.url}${path}#token=${link.token}`);
      tokens.push(link.token);
      return link;
    };

    try {
      // 1. The verification mail: the link confirms the address and signs the user in.
      const verify = await mailedLink('/verify-email', '#request-verification-email', /Confirm your email/);
      await page.goto(verify.url);
      // The script takes the token out of the address bar at once.
      await page.waitForURL(`${balancer.url}/verify-email`);
      await page.click('text=Confirm my email address');
      await page.waitForURL(`${balancer.url}/account`);
      await page.waitForSelector('#account:not([hidden])');
      expect(await page.textContent('#profile-verified')).toBe('Yes');

      // 2. The reset mail: a new password, set on the page the link opens.
      const reset = await mailedLink('/reset-password', '#request-reset-email', /Reset your password/);
      await page.goto(reset.url);
      // The script takes the token out of the address bar at once.
      await page.waitForURL(`${balancer.url}/reset-password`);
      const newPassword = 'a brand new passphrase 77';
      await page.fill('#reset-password-new', newPassword);
      await page.fill('#reset-password-confirm', newPassword);
      await page.press('#reset-password-confirm', 'Enter');
      await page.waitForSelector('#reset-password-next:not([hidden])');
      const signIn = await gql(balancer.url, SIGN_IN, { email: user.email, password: newPassword });
      expect(signIn.body.data?.signIn.__typename).toBe('SignInSuccess');

      // 3. The magic-link mail: signed in from the link.
      const magic = await mailedLink('/magic-link', '#request-magic-link-email', /Your sign-in link/);
      await page.goto(magic.url);
      // The script takes the token out of the address bar at once.
      await page.waitForURL(`${balancer.url}/magic-link`);
      await page.click('#magic-link-form button[type=submit]');
      await page.waitForURL(`${balancer.url}/account`);
      await page.waitForSelector('#account:not([hidden])');

      // 4. A link mailed before 0.2 (?token=) still works for one release: nginx moves the token
      // into the fragment before it reaches a replica, and the page takes it out of the address.
      const legacy = await mailedLink('/magic-link', '#request-magic-link-email', /Your sign-in link/);
      await page.goto(`${balancer.url}/magic-link?token=${legacy.token}`);
      // The script takes the token out of the address bar at once.
      await page.waitForURL(`${balancer.url}/magic-link`);
      await page.click('#magic-link-form button[type=submit]');
      await page.waitForURL(`${balancer.url}/account`);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }

    // The proxy's access log saw every page (and the assets), and none of the tokens.
    const log = balancer.accessLog();
    for (const path of ['/verify-email', '/reset-password', '/magic-link', '/account', '/assets/pages.css']) {
      expect(log).toContain(`"GET ${path} HTTP/1.1" 200`);
    }
    expect(tokens).toHaveLength(4);
    for (const token of tokens) expect(log).not.toContain(token);
    expect(log).not.toMatch(/token=/);
    // Nor did any replica log one.
    for (const replica of replicas) for (const token of tokens) expect(replica.output()).not.toContain(token);
  }, 180_000);

  it('balances round-robin over all three', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${balancer.url}/health`);
      expect(response.status).toBe(200);
      served.add(response.headers.get('x-plinto-upstream') ?? '');
    }
    expect([...served].sort()).toEqual(replicas.map((r) => r.address).sort());
  });

  it('signs in through the balancer, refreshes on another replica, revokes on a third: refused everywhere at once', async () => {
    const user = await signUpUser(balancer.url);
    const signIn = await gql(balancer.url, SIGN_IN, { email: user.email, password: user.password });
    expect(signIn.body.data?.signIn.__typename).toBe('SignInSuccess');
    const signedInOn = signIn.headers.get('x-plinto-upstream');
    const first = replicas.find((r) => r.address === signedInOn);
    expect(first, `sign-in served by ${signedInOn}`).toBeDefined();
    const [second, third] = replicas.filter((r) => r !== first) as [Replica, Replica];
    const sessionId = signIn.body.data?.signIn.session.id as string;

    const refreshed = await gql(second.url, REFRESH, {
      refreshToken: signIn.body.data?.signIn.tokens.refreshToken,
    });
    expect(refreshed.body.data?.refreshSession.__typename).toBe('SignInSuccess');
    const accessToken = refreshed.body.data?.refreshSession.tokens.accessToken as string;
    // Keys live in PostgreSQL: a token signed by one replica verifies on every other.
    for (const replica of replicas) {
      const me = await gql(replica.url, ME, {}, bearer(accessToken));
      expect(me.body.data?.me.email, replica.address).toBe(user.email);
    }

    // Another device of the same user revokes this session, on the third replica.
    const revoke = await gql(
      third.url,
      `mutation Revoke($id: ID!) { revokeSession(id: $id) }`,
      { id: sessionId },
      bearer(user.accessToken),
    );
    expect(revoke.body.data).toEqual({ revokeSession: true });

    // No waiting: the revocation is in the shared liveness cache the moment revokeSession returns.
    const after = await Promise.all(replicas.map((replica) => gql(replica.url, ME, {}, bearer(accessToken))));
    for (const [i, response] of after.entries()) {
      expect(response.body.data?.me ?? null, replicas[i]!.address).toBeNull();
      expect(response.body.errors?.[0]?.extensions?.code, replicas[i]!.address).toBe('UNAUTHENTICATED');
    }
    const throughBalancer = await gql(balancer.url, ME, {}, bearer(accessToken));
    expect(throughBalancer.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // The other device's session is untouched.
    const otherDevice = await gql(balancer.url, ME, {}, bearer(user.accessToken));
    expect(otherDevice.body.data?.me.email).toBe(user.email);
  });

  it('holds the signIn limit across replicas: the 6th attempt is refused whichever replica gets it', async () => {
    // A client address of its own (nginx passes it on in X-Forwarded-For; the replicas trust loopback).
    const client = '127.0.0.9';
    const attempt = (i: number) =>
      gqlFrom(balancer.url, client, SIGN_IN, {
        email: `nobody-${i}-${Date.now()}@example.com`,
        password: 'wrong password 1',
      });
    const allowed = [];
    for (let i = 0; i < 5; i++) allowed.push(await attempt(i));
    for (const response of allowed) expect(response.body.data?.signIn.__typename).toBe('InvalidCredentials');
    expect(new Set(allowed.map((r) => r.headers.get('x-plinto-upstream'))).size).toBe(3);

    const refused = [];
    for (let i = 5; i < 8; i++) refused.push(await attempt(i));
    for (const response of refused) {
      expect(response.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Round-robin sent the refused attempts to each of the three replicas in turn.
    expect(new Set(refused.map((r) => r.headers.get('x-plinto-upstream'))).size).toBe(3);
  });

  it('loses no request that a killed replica had not accepted', async () => {
    const user = await signUpUser(balancer.url);
    const victim = replicas[1]!;
    // 50 requests before the kill, then on until 75 have been sent after the death was seen: on a
    // loaded machine the exit is noticed late, and a fixed total left too few after it (CI: 70, 74).
    const killAt = 50;
    const wantedAfterDeath = 75;
    const limit = 2_000;
    const concurrency = 6;
    interface Outcome {
      worker: number;
      startedAt: number;
      ok: boolean;
      upstream: string;
    }
    const outcomes: Outcome[] = [];
    let killedAt = Number.POSITIVE_INFINITY;
    let deadAt = Number.POSITIVE_INFINITY;
    let next = 0;
    let sentAfterDeath = 0;

    const worker = async (id: number) => {
      while (next < limit && sentAfterDeath < wantedAfterDeath) {
        const index = next++;
        if (index === killAt) {
          // SIGKILL: no drain, no goodbye; whatever it had accepted is lost with it.
          killedAt = performance.now();
          victim.process.kill('SIGKILL');
          void victim.exited.then(() => (deadAt = performance.now()));
        }
        const startedAt = performance.now();
        if (startedAt > deadAt) sentAfterDeath += 1;
        const response = await gql(balancer.url, ME, {}, bearer(user.accessToken)).catch(() => null);
        outcomes.push({
          worker: id,
          startedAt,
          ok: response?.status === 200 && response.body.data?.me?.email === user.email,
          upstream: response?.headers.get('x-plinto-upstream') ?? '',
        });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)));
    await victim.exited;

    expect(outcomes).toHaveLength(next);
    const afterDeath = outcomes.filter((o) => o.startedAt > deadAt);
    expect(afterDeath.length).toBeGreaterThanOrEqual(wantedAfterDeath);
    // Every request sent once the replica was gone was answered, by a live replica.
    expect(afterDeath.filter((o) => !o.ok)).toEqual([]);
    // nginx did meet the dead replica (connection refused) and retried the request elsewhere.
    const retried = afterDeath.filter((o) => o.upstream.startsWith(`${victim.address}, `));
    expect(retried.length).toBeGreaterThan(0);
    for (const o of retried) expect(o.ok).toBe(true);
    // The only requests allowed to fail are those already in flight on the victim when it died.
    for (const failed of outcomes.filter((o) => !o.ok)) {
      expect(failed.startedAt).toBeLessThan(deadAt);
      expect(failed.upstream).toBe(victim.address);
    }
    // Per client, at most two: the request it had in flight on the victim, and one that nginx wrote
    // on a kept-alive upstream connection whose close it had not yet seen (a POST already written is
    // not retried, by design: it may have been executed). CI once saw 7 failures from 6 clients.
    for (let id = 0; id < concurrency; id += 1)
      expect(outcomes.filter((o) => o.worker === id && !o.ok).length).toBeLessThanOrEqual(2);
    expect(killedAt).toBeLessThan(deadAt);

    // Tests run in a random order: the next one gets three replicas again. The victim comes back on
    // its port, and the test waits until nginx (which marked it failed) routes to it once more.
    const restarted = await startReplica(env, victim.port);
    replicas[1] = restarted;
    for (;;) {
      const response = await fetch(`${balancer.url}/health`);
      if (response.headers.get('x-plinto-upstream') === restarted.address) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 120_000);
});
