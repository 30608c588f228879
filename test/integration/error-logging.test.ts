import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { PlintoApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { CapturedLog } from '../helpers/captured-log.js';
import { createTestDatabase, cutOffDatabase, restoreDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { bearer, gql, SIGN_UP, signUpUser, STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { testEnv } from '../helpers/server.js';

const REVOKE = 'mutation Revoke($id: ID!) { revokeSession(id: $id) }';

describe('ID arguments and driver errors in the logs', () => {
  let database: TestDatabase;
  let app: PlintoApp;
  let url: string;
  const log = new CapturedLog();

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    // A real bcrypt cost, so that a sign-up is still hashing when the database goes away.
    const env = testEnv('postgresql', database.url, { LOG_LEVEL: 'info', BCRYPT_COST: '12' });
    app = await createApp(loadConfig(env), { migrate: true, logger: createLogger('info', log) });
    url = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await restoreDatabase(database).catch(() => undefined);
    await app?.close();
    await database?.drop();
  });

  it('answers a malformed ID argument with BAD_USER_INPUT, not a 500', async () => {
    // Only this test's lines: the tests of this file run in a random order, sharing one log.
    const linesBefore = log.lines.length;
    const user = await signUpUser(url);
    const odd = [
      'not-a-uuid',
      '',
      "' or 1=1 --",
      'x'.repeat(5000),
      '00000000-0000-0000-0000-00000000000g',
      '\u0000',
    ];
    for (const id of odd) {
      const response = await gql(url, REVOKE, { id }, bearer(user.accessToken));
      expect(response.status, response.text).toBe(200);
      expect(
        response.body.errors?.map((e) => e.extensions?.code),
        response.text,
      ).toEqual(['BAD_USER_INPUT']);
      expect(response.body.data).toBeNull();
    }
    // A well-formed id that is not the caller's is simply not revoked.
    const foreign = await gql(
      url,
      REVOKE,
      { id: '6f1c1a52-5d6e-4a8e-9a51-0c1f7a9f2b11' },
      bearer(user.accessToken),
    );
    expect(foreign.body.data).toEqual({ revokeSession: false });
    expect(log.lines.slice(linesBefore).filter((line) => line.level >= 50)).toEqual([]);
  });

  it('logs a database outage during sign-up as class, code, table and constraint only: no email, no hash', async () => {
    const email = uniqueEmail('outage');
    const pending = gql(url, SIGN_UP, { email, password: STRONG_PASSWORD });
    // bcrypt(12) takes a few hundred milliseconds: the database goes away while the password is hashed.
    await new Promise((resolve) => setTimeout(resolve, 60));
    await cutOffDatabase(database);
    const response = await pending;
    await restoreDatabase(database);
    expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);

    const errorLines = log.lines.filter((line) => line.level >= 50);
    expect(errorLines.length).toBeGreaterThan(0);
    expect(log.text).not.toContain(email);
    expect(log.text).not.toContain(email.split('@')[0]!);
    expect(log.text).not.toMatch(/\$2[aby]\$\d\d\$/);
    expect(log.text).not.toMatch(/insert into|select |values \(/i);
    for (const line of errorLines) {
      expect(
        Object.keys(line.err ?? {}).every((key) => ['type', 'code', 'table', 'constraint'].includes(key)),
      ).toBe(true);
      expect(line.err?.type).toMatch(/Exception|Error/);
    }
  });
});
