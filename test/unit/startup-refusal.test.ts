import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { databaseUnreachable, listenRefusal, unexpectedRefusal } from '../../src/startup-refusal.js';

const config = loadConfig({
  DATA_DIR: mkdtempSync(join(tmpdir(), 'plinto-refusal-')),
  DATABASE_URL: 'postgres://plinto:hunter2-password@db.internal:6543/auth',
  SMTP_URL: 'smtp://mail.internal:25',
  AUTH_SECRET: 'x'.repeat(32),
  METRICS_PORT: '9464',
});

describe('start-up refusal lines', () => {
  it('names the database and the cause from the driver code, never the password', () => {
    const auth = databaseUnreachable(
      config,
      Object.assign(new Error('password authentication failed'), { code: '28P01' }),
    );
    expect(auth.message).toBe(
      'PostgreSQL at db.internal:6543 (database auth) is unreachable: password authentication failed. Check DATABASE_URL and that the database is running.',
    );
    const missing = databaseUnreachable(config, Object.assign(new Error('x'), { code: '3D000' }));
    expect(missing.message).toContain('the database does not exist');
    expect(auth.message + missing.message).not.toContain('hunter2');
  });

  it('tells the public port from the metrics port', () => {
    const inUse = (port: number) =>
      Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', port });
    expect(listenRefusal(config, inUse(4000))?.message).toContain('set PORT to a free port');
    expect(listenRefusal(config, inUse(9464))?.message).toContain('set METRICS_PORT to a free port');
    expect(listenRefusal(config, new Error('something else'))).toBeNull();
  });

  it('keeps anything else to one line without credentials', () => {
    const refusal = unexpectedRefusal(
      new TypeError('bad url postgres://u:secret@host/db\n    at frame (file.js:1:1)'),
    );
    expect(refusal.message).toBe(
      'unexpected TypeError: bad url postgres://***@host/db. Start with LOG_LEVEL=debug to see the details.',
    );
  });
});
