import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/security/crypto.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { redisUrl } from '../helpers/global-setup.js';
import { bearer, gql, ME, REFRESH } from '../helpers/graphql.js';
import { challengeFor, codeAt, complete, enrolledUser, withinOneStep } from '../helpers/mfa.js';
import type { EnrolledUser } from '../helpers/mfa.js';
import { productionBuild, runBuilt, startBuilt } from '../helpers/production-build.js';

const OLD_SECRET = 'Kx9vT3mQ7pL2wR8nZ5cB1yH6dF4gJ0sA7eU3qN9t';
const NEW_SECRET = 'Wm2bY8rE5tU1iO7pA4sD9fG3hJ6kL0zX2cV5nB8q';

function env(databaseUrl: string, secrets: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl(),
    REDIS_KEY_PREFIX: `plinto-rotation-${process.pid}:`,
    SMTP_URL: 'smtp://127.0.0.1:2525',
    APP_URL: 'https://auth.example.test',
    SIGNUP_MODE: 'immediate',
    RATE_LIMITS_ENABLED: 'false',
    BCRYPT_COST: '10',
    SHUTDOWN_DRAIN_SECONDS: '0',
    // Each server is stopped before the next starts: this test is not about graceful shutdown.
    SHUTDOWN_TIMEOUT_SECONDS: '5',
    LOG_LEVEL: 'warn',
    ...secrets,
  };
}

/** TOTP codes are single use per 30 s step: each sign-in takes a step after the last one used. */
let lastStep = 0;
function freshCode(secret: string): string {
  const now = Math.floor(Date.now() / 30_000);
  const offset = now > lastStep ? 0 : 30;
  lastStep = now + offset / 30;
  return codeAt(secret, offset);
}

async function signInWithTotp(url: string, user: EnrolledUser): Promise<string | undefined> {
  const challenge = await challengeFor(url, user.email, user.password);
  const result = await complete(url, challenge, freshCode(user.secret));
  return result?.__typename;
}

async function sealedSigningKeys(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const rows = await client.query<{ private_key_encrypted: string }>(
      'select private_key_encrypted from signing_keys',
    );
    return rows.rows.map((r) => r.private_key_encrypted);
  } finally {
    await client.end();
  }
}

describe('rotating AUTH_SECRET (compiled build)', { timeout: 600_000 }, () => {
  let build: string;
  let database: TestDatabase;

  beforeAll(async () => {
    [build, database] = await Promise.all([productionBuild(), createTestDatabase('postgresql')]);
    const migrated = await runBuilt(
      build,
      'src/cli/migrate.js',
      env(database.url, { AUTH_SECRET: OLD_SECRET }),
    );
    expect(migrated.code).toBe(0);
  }, 240_000);

  afterAll(async () => {
    await database?.drop();
  });

  it('keeps tokens, TOTP and sessions through AUTH_SECRET_PREVIOUS and the re-seal, then runs without the old secret', async () => {
    // Before: the old secret seals the signing key and the user's TOTP secret.
    let server = await startBuilt(build, env(database.url, { AUTH_SECRET: OLD_SECRET }));
    await withinOneStep();
    const user = await enrolledUser(server.url);
    lastStep = Math.floor(Date.now() / 30_000) - 1; // enrolment used the previous step's code
    const issuedBefore = user.accessToken;
    await server.stop();

    // The new secret alone cannot open what the old one sealed: refused, naming AUTH_SECRET.
    const refused = await runBuilt(build, 'src/main.js', {
      ...env(database.url, { AUTH_SECRET: NEW_SECRET }),
      PORT: '0',
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^Plinto cannot start: AUTH_SECRET cannot open .*signing keys.*TOTP secrets/,
    );

    // During the rotation: new secret + the old one as AUTH_SECRET_PREVIOUS.
    const rotating = { AUTH_SECRET: NEW_SECRET, AUTH_SECRET_PREVIOUS: OLD_SECRET };
    server = await startBuilt(build, env(database.url, rotating));
    const me = await gql(server.url, ME, {}, bearer(issuedBefore));
    expect(me.body.data?.me.email).toBe(user.email);
    const refreshed = await gql(server.url, REFRESH, { refreshToken: user.refreshToken });
    expect(refreshed.body.data?.refreshSession.__typename).toBe('SignInSuccess');
    const refreshToken = refreshed.body.data?.refreshSession.tokens.refreshToken as string;
    expect(await signInWithTotp(server.url, user)).toBe('SignInSuccess');

    // Re-seal everything under the new secret, while the server keeps serving.
    const before = await sealedSigningKeys(database.url);
    const resealed = await runBuilt(build, 'src/cli/reseal.js', env(database.url, rotating));
    expect(resealed.stderr).toBe('');
    expect(resealed.code).toBe(0);
    expect(resealed.stdout).toMatch(/signing keys: 1 checked, 1 re-sealed/);
    expect(resealed.stdout).toMatch(/TOTP secrets: 1 checked, 1 re-sealed/);
    expect(resealed.stdout).toContain('AUTH_SECRET_PREVIOUS can now be removed');
    const after = await sealedSigningKeys(database.url);
    expect(after).not.toEqual(before);
    expect(() => new SecretBox(OLD_SECRET).open('signing-key', after[0]!)).toThrow();
    expect(new SecretBox(NEW_SECRET).open('signing-key', after[0]!)).toContain('PRIVATE KEY');
    await server.stop();

    // After: the old secret is gone; everything issued or sealed before still works.
    server = await startBuilt(build, env(database.url, { AUTH_SECRET: NEW_SECRET }));
    const meAfter = await gql(server.url, ME, {}, bearer(issuedBefore));
    expect(meAfter.body.data?.me.email).toBe(user.email);
    const refreshedAfter = await gql(server.url, REFRESH, { refreshToken });
    expect(refreshedAfter.body.data?.refreshSession.__typename).toBe('SignInSuccess');
    expect(await signInWithTotp(server.url, user)).toBe('SignInSuccess');
    await server.stop();

    // A second re-seal finds nothing left to do.
    const again = await runBuilt(build, 'src/cli/reseal.js', env(database.url, { AUTH_SECRET: NEW_SECRET }));
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('re-sealed');
    expect(again.stdout).toContain('Every sealed value opens with AUTH_SECRET.');
  });
});
