import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { CapturedLog } from '../helpers/captured-log.js';
import { BACKENDS, createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { bearer, gql, signUpUser } from '../helpers/graphql.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';

const SESSIONS = 'query { sessions { id } }';

/**
 * An unexpected error that is not an outage: the database is up, but a column a resolver reads
 * is gone (a botched manual change, a half-applied migration). The driver's message carries the
 * SQL it ran; the client must see none of it.
 */
describe.each(BACKENDS)('an unexpected error in a resolver (%s)', (backend) => {
  let database: TestDatabase;
  let server: TestServer;
  const log = new CapturedLog();

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    server = await startServer(database, {}, { logger: createLogger('info', log) });
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('masks an error whose message holds SQL as INTERNAL_SERVER_ERROR, and logs it with the request id', async () => {
    const user = await signUpUser(server.url);
    const before = await gql(server.url, SESSIONS, {}, bearer(user.accessToken));
    expect(before.body.data?.sessions).toHaveLength(1);

    await server.app.services.orm.em
      .fork()
      .getConnection()
      .execute('alter table "sessions" rename column "last_used_at" to "last_used_at_gone"', [], 'run');
    const response = await gql(
      server.url,
      SESSIONS,
      {},
      {
        ...bearer(user.accessToken),
        'x-request-id': 'masking-test-0001',
      },
    );

    expect(response.status).toBe(200);
    expect(response.body.errors).toHaveLength(1);
    const [error] = response.body.errors!;
    expect(error).toEqual({
      message: 'Internal server error.',
      path: ['sessions'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(response.text).not.toMatch(
      /select|from|where|last_used_at|relation|column|sqlite|postgres|stack|\bat /i,
    );

    // Not vacuous: the error the client did not see was the driver's (whose message is the SQL it
    // ran), and the log names it under the request id, by class and table only (LG-20: never the
    // driver's message or bound values).
    const logged = log.lines.find((line) => line.msg === 'internal error');
    expect(logged?.requestId).toBe('masking-test-0001');
    expect(JSON.stringify(logged?.err)).toMatch(/InvalidFieldNameException/);
    expect(JSON.stringify(logged?.err)).not.toMatch(/select|last_used_at/i);
  });
});
