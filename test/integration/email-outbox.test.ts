import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailOutboxEntry } from '../../src/storage/entities/index.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { REQUEST_PASSWORD_RESET, RESET_PASSWORD, startMailServer } from '../helpers/email-documents.js';
import { gql, SIGN_IN, signUpUser } from '../helpers/graphql.js';
import { drainOutbox } from '../helpers/mail-outbox.js';
import type { TestServer } from '../helpers/server.js';
import { linkIn, sleep, startBlackHole, startSmtpServer } from '../helpers/smtp.js';

async function metric(server: TestServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

async function until(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}

describe('mail outbox (postgresql + redis + smtp)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('answers at once while SMTP hangs, and delivers the mail once SMTP is back', async () => {
    // A server that accepts connections and never answers: the worst kind of SMTP outage.
    const hung = await startBlackHole();
    const server = await startMailServer(database, `smtp://127.0.0.1:${hung.port}`, {
      SIGNUP_MODE: 'immediate',
      MAIL_SEND_TIMEOUT_MS: '1500',
    });
    try {
      const user = await signUpUser(server.url);
      const started = performance.now();
      const response = await gql(server.url, REQUEST_PASSWORD_RESET, { email: user.email });
      const elapsed = performance.now() - started;
      expect(response.body.data).toEqual({ requestPasswordReset: true });
      // An attempt takes 1.5 s to time out; the request must not have waited for it.
      expect(elapsed).toBeLessThan(500);

      await until(async () => (await metric(server, 'plinto_mail_send_failures_total')) >= 1);
      // The mail waits in the outbox for the next attempt (read from the table: the depth gauge may be
      // read while the row is leased by a retry).
      expect(await server.app.services.orm.em.fork().count(MailOutboxEntry, {})).toBe(1);
      expect(await metric(server, 'plinto_mail_sent_total')).toBe(0);

      await hung.close();
      const smtp = await startSmtpServer(hung.port);
      try {
        const mail = await smtp.waitFor(user.email, /Reset your password/, 15_000);
        const { token } = linkIn(mail, '/reset-password');
        const reset = await gql(server.url, RESET_PASSWORD, {
          token,
          newPassword: 'back online passphrase 3',
        });
        expect(reset.body.data?.resetPassword.__typename).toBe('PasswordChanged');
        const signIn = await gql(server.url, SIGN_IN, {
          email: user.email,
          password: 'back online passphrase 3',
        });
        expect(signIn.body.data?.signIn.__typename).toBe('SignInSuccess');
        await drainOutbox(server);
        expect(smtp.mailsTo(user.email).filter((m) => /Reset your password/.test(m.subject))).toHaveLength(1);
        expect(await metric(server, 'plinto_mail_sent_total')).toBeGreaterThanOrEqual(1);
      } finally {
        await smtp.close();
      }
    } finally {
      await server.close();
      await hung.close();
    }
  });

  it('sends each mail exactly once when several instances share the database', async () => {
    const smtp = await startSmtpServer();
    // The first instance migrates the (possibly fresh) database; the others start on it together.
    const first = await startMailServer(database, smtp.url, { SIGNUP_MODE: 'immediate' });
    const servers = [
      first,
      ...(await Promise.all([
        startMailServer(database, smtp.url, { SIGNUP_MODE: 'immediate' }),
        startMailServer(database, smtp.url, { SIGNUP_MODE: 'immediate' }),
      ])),
    ];
    try {
      const users = await Promise.all(Array.from({ length: 24 }, () => signUpUser(servers[0]!.url)));
      await Promise.all(
        users.map((user, i) => gql(servers[i % 3]!.url, REQUEST_PASSWORD_RESET, { email: user.email })),
      );
      // Every instance also runs passes of its own at the same moment: they all race for the same rows.
      await Promise.all(servers.map((s) => s.app.services.mailSender.tick()));
      await until(
        async () => (await servers[0]!.app.services.orm.em.fork().count(MailOutboxEntry, {})) === 0,
      );
      for (const user of users) {
        expect(smtp.mailsTo(user.email)).toHaveLength(1);
      }
      const sent = await Promise.all(servers.map((s) => metric(s, 'plinto_mail_sent_total')));
      // The sink above is the proof (each user got exactly one mail); the counters saw every send.
      expect(sent.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(24);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      await smtp.close();
    }
  });
});
