import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import argon2 from 'argon2';
import bcrypt from 'bcrypt';
import { describe, expect, it } from 'vitest';
import { User } from '../../src/storage/entities/index.js';
import { BACKENDS, createTestDatabase } from '../helpers/database.js';
import { gql, SIGN_IN, signUpUser, STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { startServer } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';

const run = promisify(execFile);

async function importUsers(env: Record<string, string>, lines: string[]) {
  const file = join(mkdtempSync(join(tmpdir(), 'plinto-import-')), 'users.jsonl');
  writeFileSync(file, lines.join('\n'));
  try {
    const { stdout, stderr } = await run('node_modules/.bin/tsx', ['src/cli/import-users.ts', file], {
      env: { PATH: process.env.PATH, ...env },
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe.each(BACKENDS)('password storage and migration (%s)', (backend) => {
  const ctx = useServer(backend);

  const storedHash = async (email: string) =>
    (await ctx.server.app.services.orm.em.fork().findOneOrFail(User, { email })).passwordHash;

  it('re-hashes bcrypt to argon2id at the next sign-in after the policy changes', async () => {
    const user = await signUpUser(ctx.server.url);
    expect(await storedHash(user.email)).toMatch(/^\$2b\$04\$/);
    await ctx.server.close();
    ctx.server = await startServer(ctx.database, { PASSWORD_HASH: 'argon2id' });
    const signIn = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    expect(signIn.body.data?.signIn.__typename).toBe('SignInSuccess');
    expect(await storedHash(user.email)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const again = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    expect(again.body.data?.signIn.__typename).toBe('SignInSuccess');
    const wrong = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: `${user.password}!` });
    expect(wrong.body.data?.signIn.__typename).toBe('InvalidCredentials');
    await ctx.server.close();
    ctx.server = await startServer(ctx.database);
  });

  it('upgrades a weaker bcrypt cost, but only after a correct password', async () => {
    const user = await signUpUser(ctx.server.url);
    await ctx.server.close();
    ctx.server = await startServer(ctx.database, { BCRYPT_COST: '5' });
    await gql(ctx.server.url, SIGN_IN, { email: user.email, password: 'not the password 1' });
    expect(await storedHash(user.email)).toMatch(/^\$2b\$04\$/);
    await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    expect(await storedHash(user.email)).toMatch(/^\$2b\$05\$/);
    await ctx.server.close();
    ctx.server = await startServer(ctx.database);
  });

  it('imports legacy SHA-256, bcrypt and argon2id users, wrapping the cheap hashes, and upgrades them at first sign-in', async () => {
    const legacy = { email: uniqueEmail('legacy'), password: 'legacy password 2019' };
    const bcryptUser = { email: uniqueEmail('bcrypt'), password: 'old bcrypt password' };
    const argonUser = { email: uniqueEmail('argon'), password: 'old argon password' };
    const existing = await signUpUser(ctx.server.url);
    const sha = createHash('sha256').update(legacy.password).digest('hex');
    const result = await importUsers(ctx.server.env, [
      JSON.stringify({ email: legacy.email.toUpperCase(), passwordHash: sha }),
      JSON.stringify({
        email: bcryptUser.email,
        passwordHash: await bcrypt.hash(bcryptUser.password, 4),
        emailVerified: true,
      }),
      JSON.stringify({ email: argonUser.email, passwordHash: await argon2.hash(argonUser.password) }),
      JSON.stringify({ email: legacy.email, passwordHash: sha }),
      JSON.stringify({ email: existing.email, passwordHash: sha }),
    ]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('imported 3, skipped 1 duplicate(s) in the file, 1 already registered');
    // No cheap hash at rest: unsalted SHA-256 and bcrypt below cost 10 are wrapped in bcrypt at once.
    expect(await storedHash(legacy.email)).toMatch(/^wrapped-sha256:\$2b\$04\$/);
    expect(await storedHash(legacy.email)).not.toContain(sha);
    expect(await storedHash(bcryptUser.email)).toMatch(
      /^wrapped-bcrypt:\$2b\$04\$[./A-Za-z0-9]{22}:\$2b\$04\$/,
    );
    expect(await storedHash(argonUser.email)).toMatch(/^\$argon2id\$/);

    const wrong = await gql(ctx.server.url, SIGN_IN, {
      email: legacy.email,
      password: 'legacy password 2018',
    });
    expect(wrong.body.data?.signIn.__typename).toBe('InvalidCredentials');
    const signIn = await gql(ctx.server.url, SIGN_IN, { email: legacy.email, password: legacy.password });
    expect(signIn.body.data?.signIn.__typename).toBe('SignInSuccess');
    expect(await storedHash(legacy.email)).toMatch(/^\$2b\$04\$/);
    const bcryptSignIn = await gql(ctx.server.url, SIGN_IN, {
      email: bcryptUser.email,
      password: bcryptUser.password,
    });
    expect(bcryptSignIn.body.data?.signIn.user.emailVerified).toBe(true);
    expect(await storedHash(bcryptUser.email)).toMatch(/^\$2b\$04\$/);
    const argonSignIn = await gql(ctx.server.url, SIGN_IN, {
      email: argonUser.email,
      password: argonUser.password,
    });
    expect(argonSignIn.body.data?.signIn.__typename).toBe('SignInSuccess');
    // A CLI run under tsx plus the wrapping of the cheap hashes: slow on a loaded machine.
  }, 90_000);

  it('refuses a whole import file that has one bad line, naming the line', async () => {
    const emails = [uniqueEmail('batch'), uniqueEmail('batch')];
    const hash = createHash('sha256').update('whatever password').digest('hex');
    const result = await importUsers(ctx.server.env, [
      JSON.stringify({ email: emails[0], passwordHash: hash }),
      JSON.stringify({ email: emails[1], passwordHash: 'md5:abc' }),
      '{ not json',
    ]);
    expect(result.code).toBe(1);
    expect(result.output).toContain('line 2: "passwordHash" is not a bcrypt, argon2id or SHA-256 hex hash');
    expect(result.output).toContain('line 3: not valid JSON');
    expect(await ctx.server.app.services.orm.em.fork().count(User, { email: { $in: emails } })).toBe(0);
  });
});

describe('the default password policy', () => {
  it('hashes with bcrypt cost 12 when nothing is configured', async () => {
    const database = await createTestDatabase('postgresql');
    const server = await startServer(database, { BCRYPT_COST: undefined });
    try {
      expect(server.app.config.bcryptCost).toBe(12);
      const user = await signUpUser(server.url, uniqueEmail('cost12'), STRONG_PASSWORD);
      const row = await server.app.services.orm.em.fork().findOneOrFail(User, { email: user.email });
      expect(row.passwordHash).toMatch(/^\$2b\$12\$[./A-Za-z0-9]{53}$/);
    } finally {
      await server.close();
      await database.drop();
    }
  });
});
