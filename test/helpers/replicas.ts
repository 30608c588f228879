import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './tools.js';

/** A free loopback port (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

export interface Replica {
  port: number;
  url: string;
  /** host:port, as nginx reports it in $upstream_addr. */
  address: string;
  process: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  output(): string;
}

/**
 * One app process (src/main.ts under tsx, as `npm run dev` runs it), with its own port and the
 * given environment; resolves once its /ready answers 200.
 */
export async function startReplica(env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      waitFor(async () => (await fetch(`${url}/ready`)).status === 200, `replica on ${port}`, 60_000),
      exited.then(() => {
        throw new Error(`replica on ${port} exited:\n${output}`);
      }),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { port, url, address: `127.0.0.1:${port}`, process: child, exited, output: () => output };
}

export async function stopReplica(replica: Replica, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (replica.process.exitCode === null && replica.process.signalCode === null) replica.process.kill(signal);
  await replica.exited;
}

export interface Balancer {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real nginx on loopback, round-robin over the given upstream ports. It reports which upstream(s)
 * served each request in X-Plinto-Upstream ("a, b" when it retried a refused connection).
 */
export async function startBalancer(upstreamPorts: number[]): Promise<Balancer> {
  const nginx = requireTool('nginx');
  const prefix = mkdtempSync(join(tmpdir(), 'plinto-nginx-'));
  mkdirSync(join(prefix, 'logs'));
  const port = await freePort();
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${join(prefix, kind)};`)
    .join('\n');
  // max_fails=0: every round still tries a dead replica first, so the retry path is exercised
  // on every third request instead of once per fail_timeout.
  const servers = upstreamPorts.map((p) => `    server 127.0.0.1:${p} max_fails=0;`).join('\n');
  const config = `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs', 'error.log')} warn;
events { worker_connections 512; }
http {
  access_log off;
${temp}
  upstream plinto {
${servers}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://plinto;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_connect_timeout 2s;
      # A refused connection means the request never reached the replica: try the next one.
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 3;
      add_header X-Plinto-Upstream $upstream_addr always;
    }
  }
}
`;
  const file = join(prefix, 'nginx.conf');
  writeFileSync(file, config);
  const child = spawn(nginx, ['-p', prefix, '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => (stderr += `\n${error.message}`));
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitFor(async () => (await fetch(`${url}/health`)).status === 200, 'nginx', 10_000),
    exited.then(() => {
      throw new Error(`nginx exited: ${stderr}`);
    }),
  ]);
  return {
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
