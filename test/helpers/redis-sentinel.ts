import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { sparePort } from './private-redis.js';

export const SENTINEL_NAME = 'plinto';

/** A fresh temporary directory for a test's redis-server to write into. */
export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'plinto-redis-'));
}

/** A redis-server (data node or sentinel) of the test's own, killed at the end. */
export class RedisProcess {
  private child: ChildProcess | null = null;

  constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly probeOptions: RedisOptions = {},
  ) {}

  async start(): Promise<void> {
    // Its own working directory: a replica's full sync writes dump.rdb there, never in the repository.
    this.child = spawn('redis-server', this.args, { stdio: 'ignore', cwd: scratchDir() });
    await untilAnswers(this.port, this.probeOptions);
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null;
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/** Runs one command on a loopback Redis or Sentinel and disconnects. */
export async function redisCommand(
  port: number | { port: number; options: RedisOptions },
  command: string,
  ...args: string[]
): Promise<unknown> {
  const target = typeof port === 'number' ? { port, options: {} } : port;
  const client = new Redis(target.port, '127.0.0.1', {
    ...target.options,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(command, ...args);
  } finally {
    client.disconnect();
  }
}

async function untilAnswers(port: number, options: RedisOptions): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      if ((await redisCommand({ port, options }, 'PING')) === 'PONG') return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`redis-server on port ${port} did not start`);
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await condition()) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const DATA_NODE = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];

/**
 * A primary, one replica and three sentinels (quorum 2) on spare loopback ports, with failure
 * detection in about a second. The replica may reach its primary through `replicaLink` (a port
 * forwarding to the primary), so a test can hold back the replication stream.
 */
export class SentinelCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'plinto-sentinel-'));
  primary!: RedisProcess;
  replica!: RedisProcess;
  sentinels: RedisProcess[] = [];

  async start(replicaLink?: (primaryPort: number) => Promise<number>): Promise<void> {
    const [primaryPort, replicaPort] = [await sparePort(), await sparePort()];
    this.primary = new RedisProcess(primaryPort, ['--port', String(primaryPort), ...DATA_NODE]);
    await this.primary.start();
    const upstream = replicaLink ? await replicaLink(primaryPort) : primaryPort;
    this.replica = new RedisProcess(replicaPort, [
      '--port',
      String(replicaPort),
      ...DATA_NODE,
      '--replicaof',
      '127.0.0.1',
      String(upstream),
    ]);
    await this.replica.start();
    await until(
      async () =>
        /master_link_status:up/.test(String(await redisCommand(replicaPort, 'INFO', 'replication'))),
      'the replica to sync',
    );
    for (let i = 0; i < 3; i += 1) {
      const port = await sparePort();
      const file = join(this.dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${this.dir}`,
          `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_NAME} 4000`,
          `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = new RedisProcess(port, [file, '--sentinel']);
      await sentinel.start();
      this.sentinels.push(sentinel);
    }
    // A failover needs a majority of sentinels that know each other, and the replica known to them.
    for (const sentinel of this.sentinels) {
      await until(async () => {
        const master = (await redisCommand(sentinel.port, 'SENTINEL', 'MASTER', SENTINEL_NAME)) as string[];
        const info = Object.fromEntries(master.flatMap((v, i) => (i % 2 === 0 ? [[v, master[i + 1]]] : [])));
        return info['num-other-sentinels'] === '2' && info['num-slaves'] === '1';
      }, 'the sentinels to find each other and the replica');
    }
  }

  get sentinelAddresses(): string {
    return this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  /** The primary's port as the sentinels name it now. */
  async primaryPort(): Promise<number> {
    const address = (await redisCommand(
      this.sentinels[0]!.port,
      'SENTINEL',
      'GET-MASTER-ADDR-BY-NAME',
      SENTINEL_NAME,
    )) as string[];
    return Number(address[1]);
  }

  /** Waits until every sentinel names the replica as primary and the replica says it is one. */
  async untilReplicaPromoted(): Promise<void> {
    await until(async () => {
      for (const sentinel of this.sentinels) {
        const address = (await redisCommand(
          sentinel.port,
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          SENTINEL_NAME,
        )) as string[];
        if (Number(address[1]) !== this.replica.port) return false;
      }
      return /role:master/.test(String(await redisCommand(this.replica.port, 'INFO', 'replication')));
    }, 'the sentinels to promote the replica');
  }

  async stop(): Promise<void> {
    for (const node of [...this.sentinels, this.replica, this.primary]) await node?.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
