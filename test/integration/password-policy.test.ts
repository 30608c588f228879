import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { CapturedLog } from '../helpers/captured-log.js';
import { CHANGE_PASSWORD } from '../helpers/email-documents.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { bearer, gql, SIGN_IN, SIGN_UP, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';

const BREACHED = 'my favourite breached passphrase 1';
const CLEAN = 'a passphrase nobody has leaked 7';

const sha1 = (value: string) => createHash('sha1').update(value, 'utf8').digest('hex').toUpperCase();

/** A local range API: serves the range of BREACHED (with padding lines of count 0), records each request. */
async function startRangeServer() {
  const requests: Array<{ path: string; padding: string | undefined }> = [];
  const hash = sha1(BREACHED);
  const server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', padding: req.headers['add-padding'] as string | undefined });
    const prefix = (req.url ?? '').split('/').pop()!;
    const lines = [`${'0'.repeat(35)}:0`, `${'F'.repeat(35)}:0`];
    if (prefix === hash.slice(0, 5)) lines.push(`${hash.slice(5)}:4242`);
    // A padding line with the clean password's suffix and count 0: never a match.
    if (prefix === sha1(CLEAN).slice(0, 5)) lines.push(`${sha1(CLEAN).slice(5)}:0`);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { server: server as Server, url: `http://127.0.0.1:${port}/range/`, requests };
}

async function breachedChecks(server: TestServer, result: string): Promise<number> {
  const { values } = await server.app.services.metrics.breachedPasswordChecks.get();
  return values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe('password policy completions (PostgreSQL, bcrypt)', () => {
  let database: TestDatabase;
  let server: TestServer;
  let range: Awaited<ReturnType<typeof startRangeServer>>;
  const log = new CapturedLog();

  beforeAll(async () => {
    range = await startRangeServer();
    database = await createTestDatabase('postgresql');
    server = await startServer(
      database,
      { PWNED_PASSWORDS_URL: range.url, PASSWORD_HASH: 'bcrypt' },
      { logger: createLogger('info', log) },
    );
  });
  afterAll(async () => {
    await server?.close();
    await new Promise((resolve) => range?.server.close(resolve));
    await database?.drop();
  });

  it('refuses a breached password found through the range API, sending only 5 hex digits with padding', async () => {
    const breached = await gql(server.url, SIGN_UP, { email: uniqueEmail(), password: BREACHED });
    expect(breached.body.data?.signUp.__typename).toBe('PasswordRejected');
    expect(breached.body.data?.signUp.reasons.join(' ')).toMatch(/known data breach/);
    const clean = await gql(server.url, SIGN_UP, { email: uniqueEmail(), password: CLEAN });
    expect(clean.body.data?.signUp.__typename).toBe('SignInSuccess');
    expect(range.requests.length).toBeGreaterThanOrEqual(2);
    for (const request of range.requests) {
      expect(request.path).toMatch(/^\/range\/[0-9A-F]{5}$/);
      expect(request.padding).toBe('true');
    }
    // changePassword checks the new password too.
    const user = await signUpUser(server.url, uniqueEmail(), CLEAN);
    const change = await gql(
      server.url,
      CHANGE_PASSWORD,
      { current: CLEAN, next: BREACHED },
      bearer(user.accessToken),
    );
    expect(change.body.data?.changePassword.__typename).toBe('PasswordRejected');
  });

  it('fails open when the range API is down: sign-up goes through, the metric moves, a line is logged', async () => {
    const before = await breachedChecks(server, 'unavailable');
    const down = await startRangeServer();
    await new Promise((resolve) => down.server.close(resolve));
    const outage = await startServer(
      database,
      { PWNED_PASSWORDS_URL: down.url },
      { logger: createLogger('info', log) },
    );
    try {
      const signUp = await gql(outage.url, SIGN_UP, { email: uniqueEmail(), password: BREACHED });
      expect(signUp.body.data?.signUp.__typename).toBe('SignInSuccess');
      expect(await breachedChecks(outage, 'unavailable')).toBe(1);
      expect(log.lines.some((line) => /breached-password check unavailable/.test(line.msg))).toBe(true);
    } finally {
      await outage.close();
    }
    expect(await breachedChecks(server, 'unavailable')).toBe(before);
  });

  it('refuses passwords that contain the address, its name part or the product name', async () => {
    const email = uniqueEmail('jonathan');
    const local = email.split('@')[0]!;
    for (const password of [`${email} is mine`, `${local.toUpperCase()} 2026!`, 'my Plinto password 99']) {
      const answer = await gql(server.url, SIGN_UP, { email, password });
      expect(answer.body.data?.signUp.__typename, password).toBe('PasswordRejected');
    }
    // A name part shorter than 4 characters is too common a string to refuse.
    const short = await gql(server.url, SIGN_UP, {
      email: `al+${Date.now()}@example.com`,
      password: 'al likes green tea 8',
    });
    expect(short.body.data?.signUp.__typename).toBe('SignInSuccess');
  });

  it('signs in with a 100-character Unicode password under bcrypt, pre-hashed, with every byte counting', async () => {
    const password = 'пароль-密码-كلمة-'.repeat(7).slice(0, 100);
    expect([...password]).toHaveLength(100);
    expect(Buffer.byteLength(password, 'utf8')).toBeGreaterThan(72);
    const user = await signUpUser(server.url, uniqueEmail(), password);
    const rows = await server.app.services.orm.em
      .fork()
      .getConnection()
      .execute('select password_hash from users where id = ?', [user.userId]);
    expect((rows[0] as { password_hash: string }).password_hash).toMatch(/^bcrypt-hmac:\$2b\$04\$/);
    const signIn = await gql(server.url, SIGN_IN, { email: user.email, password });
    expect(signIn.body.data?.signIn.__typename).toBe('SignInSuccess');
    // bcrypt alone would compare only the first 72 bytes: a different tail must not sign in.
    const sameStart = `${password.slice(0, 60)}${'x'.repeat(40)}`;
    const wrong = await gql(server.url, SIGN_IN, { email: user.email, password: sameStart });
    expect(wrong.body.data?.signIn.__typename).toBe('InvalidCredentials');
  });
});
