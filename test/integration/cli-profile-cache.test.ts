import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { bearer, gql, signUpUser } from '../helpers/graphql.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const ME_ROLES = `query { me { id roles } }`;

/**
 * `npm run create-admin` writes the users row with an ORM of its own, outside every server. Found
 * by the attack pass of session 4: `me` on the running servers (answered from the profile cached in
 * Redis) showed the promoted user without the role until the cached entry expired (60 s).
 */
describe('create-admin on the command line, with servers running on PostgreSQL and Redis', () => {
  let database: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    server = await startServer(database);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  const rolesOf = async (accessToken: string) =>
    (await gql(server.url, ME_ROLES, {}, bearer(accessToken))).body.data?.me.roles as string[];

  it('shows the promotion in the next me of a user whose profile is cached', async () => {
    const user = await signUpUser(server.url);
    expect(await rolesOf(user.accessToken)).toEqual([]);
    expect(await rolesOf(user.accessToken)).toEqual([]);

    // The profile is served from the cache: a write that bypasses src/storage/user-rows.ts is not seen.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`update users set roles = ',support,' where id = $1`, [user.userId]);
    } finally {
      await client.end();
    }
    expect(await rolesOf(user.accessToken)).toEqual([]);

    const { stdout } = await run('node_modules/.bin/tsx', ['src/cli/create-admin.ts', user.email], {
      env: { ...process.env, ...server.env },
    });
    expect(stdout).toContain(`${user.email} is now an administrator`);
    expect(await rolesOf(user.accessToken)).toEqual(['admin', 'support']);
  }, 60_000);
});
