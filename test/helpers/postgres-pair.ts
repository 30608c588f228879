import { execFile } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { sparePort } from './private-redis.js';

const run = promisify(execFile);

/** The newest installed PostgreSQL's binaries (Debian keeps them out of PATH). */
function binary(name: string): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((v) => /^\d+$/.test(v))
    .sort((x, y) => Number(y) - Number(x));
  if (versions.length === 0) throw new Error('no PostgreSQL under /usr/lib/postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin/${name}`;
}

/** PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user. */
async function pgTool(name: string, args: string[]): Promise<string> {
  const asRoot = process.getuid?.() === 0;
  const [command, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', binary(name), ...args]]
    : [binary(name), args];
  const { stdout } = await run(command, argv, { timeout: 60_000 });
  return stdout;
}

export async function sqlAt(
  port: number,
  sql: string,
  params: unknown[] = [],
  database = 'postgres',
): Promise<pg.QueryResult> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/**
 * A primary and a streaming standby of the test's own, on spare loopback ports. Replication is
 * synchronous (the standby must confirm each commit), as a zero-data-loss failover needs:
 * what the primary acknowledged, the standby has.
 */
export class PostgresPair {
  readonly dir = mkdtempSync(join(tmpdir(), 'plinto-pg-pair-'));
  primaryPort = 0;
  standbyPort = 0;

  private get primaryDir(): string {
    return join(this.dir, 'primary');
  }
  private get standbyDir(): string {
    return join(this.dir, 'standby');
  }

  async start(): Promise<void> {
    await this.chownToPostgres();
    this.primaryPort = await sparePort();
    this.standbyPort = await sparePort();
    await pgTool('initdb', [
      '-D',
      this.primaryDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    appendFileSync(
      join(this.primaryDir, 'postgresql.conf'),
      [
        `port = ${this.primaryPort}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${this.dir}'`,
        'wal_level = replica',
        'max_wal_senders = 4',
        // Two app instances, their pools and the test's own clients: room to spare under a loaded CI.
        'max_connections = 300',
        'fsync = off', // throw-away data: speed; the failover below is a kill, not a power cut
        "synchronous_standby_names = 'standby'",
        '',
      ].join('\n'),
    );
    await this.ctl(this.primaryDir, 'start');
    await pgTool('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.primaryPort),
      '-U',
      'postgres',
      '-D',
      this.standbyDir,
      '-R',
      '-X',
      'stream',
      '--no-sync',
    ]);
    appendFileSync(
      join(this.standbyDir, 'postgresql.auto.conf'),
      [
        `port = ${this.standbyPort}`,
        `primary_conninfo = 'host=127.0.0.1 port=${this.primaryPort} user=postgres application_name=standby'`,
        // Once promoted it stands alone: it must not wait for a standby of its own.
        "synchronous_standby_names = ''",
        '',
      ].join('\n'),
    );
    await this.ctl(this.standbyDir, 'start');
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const state = await sqlAt(this.primaryPort, 'select sync_state from pg_stat_replication');
      if (state.rows[0]?.sync_state === 'sync') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the standby did not become synchronous');
  }

  /** The primary dies at once (no shutdown checkpoint, connections dropped mid-transaction). */
  async crashPrimary(): Promise<void> {
    await pgTool('pg_ctl', ['-D', this.primaryDir, '-m', 'immediate', '-w', 'stop']);
  }

  async promoteStandby(): Promise<void> {
    await pgTool('pg_ctl', ['-D', this.standbyDir, '-w', 'promote']);
  }

  async stop(): Promise<void> {
    for (const dir of [this.standbyDir, this.primaryDir]) {
      await pgTool('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async ctl(dataDir: string, action: 'start'): Promise<void> {
    await pgTool('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      join(this.dir, `${action}-${Date.now()}.log`),
      '-w',
      action,
    ]);
  }

  private async chownToPostgres(): Promise<void> {
    if (process.getuid?.() !== 0) return;
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    chownSync(this.dir, Number(stdout.trim()), Number(group.trim()));
  }
}
