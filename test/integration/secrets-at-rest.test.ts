import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import {
  emailFlowHelpers,
  REQUEST_MAGIC_LINK,
  REQUEST_PASSWORD_RESET,
  startMailServer,
} from '../helpers/email-documents.js';
import { bearer, gql, REFRESH, SIGN_IN, STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { BEGIN, codeAt, CONFIRM, withinOneStep } from '../helpers/mfa.js';
import type { TestServer } from '../helpers/server.js';
import { startSmtpServer } from '../helpers/smtp.js';
import type { TestSmtpServer } from '../helpers/smtp.js';

/** Every row of every application table, as text, by table. */
async function dumpDatabase(url: string): Promise<Map<string, string[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    );
    const dump = new Map<string, string[]>();
    for (const { table_name: table } of tables.rows) {
      const rows = await client.query<{ row: string }>(`select t::text as row from "${table}" t`);
      dump.set(
        table,
        rows.rows.map((r) => r.row),
      );
    }
    return dump;
  } finally {
    await client.end();
  }
}

describe('secrets at rest (postgresql + redis + smtp)', () => {
  let database: TestDatabase;
  let server: TestServer;
  let undelivered: TestServer | undefined;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    database = await createTestDatabase('postgresql');
    // Limits on, so that the per-account and per-IP keys are written to Redis too.
    server = await startMailServer(database, smtp.url, { RATE_LIMITS_ENABLED: 'true' });
  });
  afterAll(async () => {
    await server?.close();
    await undelivered?.close();
    await smtp?.close();
    await database?.drop();
  });

  it('keeps no password, token, TOTP secret, recovery code or outbox address in clear in the database or Redis', async () => {
    await withinOneStep();
    const { verifiedUser, mailedToken } = emailFlowHelpers(
      () => server,
      () => smtp,
    );
    const email = uniqueEmail('at-rest');
    const secrets: Record<string, string> = { password: STRONG_PASSWORD };

    // Verification link, then a refresh (its grace pair, tokens included, is now stored).
    const signedIn = await verifiedUser(email);
    secrets.firstAccessToken = signedIn.tokens.accessToken;
    secrets.firstRefreshToken = signedIn.tokens.refreshToken;
    const refreshed = await gql(server.url, REFRESH, { refreshToken: signedIn.tokens.refreshToken });
    const tokens = refreshed.body.data?.refreshSession.tokens;
    secrets.accessToken = tokens.accessToken;
    secrets.refreshToken = tokens.refreshToken;

    // Outstanding emailed links.
    secrets.magicLink = await mailedToken(REQUEST_MAGIC_LINK, email, /sign-in link/i, '/magic-link');
    secrets.resetLink = await mailedToken(
      REQUEST_PASSWORD_RESET,
      email,
      /Reset your password/,
      '/reset-password',
    );

    // TOTP secret, recovery codes, and a pending MFA challenge.
    const auth = bearer(tokens.accessToken);
    const totpSecret = (await gql(server.url, BEGIN, {}, auth)).body.data?.beginTotpEnrollment
      .secret as string;
    secrets.totpSecret = totpSecret;
    const confirmed = await gql(server.url, CONFIRM, { code: codeAt(totpSecret) }, auth);
    const codes = confirmed.body.data?.confirmTotpEnrollment.codes as string[];
    expect(codes).toHaveLength(10);
    codes.forEach((code, index) => {
      secrets[`recoveryCode${index}`] = code;
      // Stored codes are normalised before hashing: neither form may appear.
      secrets[`normalisedRecoveryCode${index}`] = code.replaceAll('-', '');
    });
    const challenge = await gql(server.url, SIGN_IN, { email, password: STRONG_PASSWORD });
    secrets.challengeToken = challenge.body.data?.signIn.challengeToken;
    // And one failure, so the per-email failure counter has a record.
    await gql(server.url, SIGN_IN, { email, password: 'wrong password 123' });

    for (const [name, value] of Object.entries(secrets)) {
      expect(value, name).toMatch(/^.{8,}$/);
    }

    // The first server delivers everything it queued (the TOTP security notice goes out after the
    // enrolment, asynchronously) before it stops, so the outbox below holds only the two mails
    // queued with nothing listening for SMTP.
    const queued = async () => (await dumpDatabase(database.url)).get('mail_outbox')!.length;
    for (let waited = 0; (await queued()) > 0; waited += 100) {
      expect(waited, 'the first server delivers its mail').toBeLessThan(15_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Mail that cannot be delivered yet waits composed, link and all: only this server's outbox
    // (the first one stopped, so it cannot deliver these rows), with nothing listening for SMTP.
    await server.close();
    undelivered = await startMailServer(database, 'smtp://127.0.0.1:1', { RATE_LIMITS_ENABLED: 'true' });
    await gql(undelivered.url, REQUEST_PASSWORD_RESET, { email });
    await gql(undelivered.url, REQUEST_MAGIC_LINK, { email });
    const pending = async () =>
      (await dumpDatabase(database.url)).get('mail_outbox')!.filter((row) => /,[1-9]\d*,/.test(row));
    while ((await pending()).length < 2) await new Promise((resolve) => setTimeout(resolve, 100));

    const dump = await dumpDatabase(database.url);
    // Not vacuous: the tables that hold these secrets (as hashes or sealed) have rows.
    for (const table of [
      'users',
      'sessions',
      'refresh_tokens',
      'one_time_tokens',
      'recovery_codes',
      'mfa_challenges',
      'mail_outbox',
      'signing_keys',
    ]) {
      expect(dump.get(table)?.length ?? 0, table).toBeGreaterThan(0);
    }
    const everything = [...dump.values()].flat().join('\n');
    for (const [name, value] of Object.entries(secrets)) {
      expect(everything.includes(value), `${name} is stored in clear`).toBe(false);
    }
    // Mail addresses are personal data: the outbox seals them with the composed mail.
    const outbox = dump.get('mail_outbox')!.join('\n');
    expect(outbox.toLowerCase()).not.toContain(email.split('@')[0]!.toLowerCase());
    // Both waiting mails are composed (job and message sealed), yet no link, subject or markup shows.
    expect(outbox.match(/,v1\.[\w.-]+,v1\.[\w.-]+,/g)).toHaveLength(2);
    expect(outbox).not.toMatch(/plinto\.test|token=|reset your|sign-in link|<p>|no-reply/i);

    // Redis keys the limits and counters by hashes: it never holds an address or a secret.
    const redis = new Redis(server.env.REDIS_URL!);
    const prefix = server.env.REDIS_KEY_PREFIX!;
    try {
      const keys = await redis.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      const values = await Promise.all(
        keys.map(async (key) => {
          const type = await redis.type(key);
          if (type === 'string') return String(await redis.get(key));
          if (type === 'hash') return JSON.stringify(await redis.hgetall(key));
          return type;
        }),
      );
      const stored = [...keys, ...values].join('\n').toLowerCase();
      expect(stored).not.toContain(email.split('@')[0]!.toLowerCase());
      for (const [name, value] of Object.entries(secrets)) {
        expect(stored.includes(value.toLowerCase()), `${name} is in Redis`).toBe(false);
      }
    } finally {
      redis.disconnect();
    }
  });
});
