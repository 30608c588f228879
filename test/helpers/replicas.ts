import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
 * given environment (or the given port: a replica restarted behind the same balancer); resolves
 * once its /ready answers 200.
 */
export async function startReplica(env: Record<string, string>, fixedPort?: number): Promise<Replica> {
  const port = fixedPort ?? (await freePort());
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
      waitFor(async () => (await fetch(`${url}/ready`)).status === 200, `replica on ${port}`, 180_000).catch(
        (error: Error) => {
          throw new Error(`${error.message}:\n${output}`);
        },
      ),
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
  /** nginx's access log, in the shipped log format. */
  accessLog(): string;
  stop(): Promise<void>;
}

/** Replaces `pattern` in `text`, and fails loudly when the shipped file no longer has it. */
function must(text: string, pattern: RegExp | string, replacement: string): string {
  const found = typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
  if (!found) throw new Error(`deployment/nginx/nginx-ssl.conf no longer has ${String(pattern)}`);
  return text.replace(pattern, replacement);
}

/**
 * The shipped deployment/nginx/nginx-ssl.conf, made runnable on loopback without TLS: its routing,
 * log format and proxy settings are the ones under test. Rewritten are only what cannot exist here
 * (certificates, Docker's resolver and host name, the container's stdout) and the listen address.
 * It also reports which upstream(s) served each request in X-Plinto-Upstream ("a, b" when it
 * retried a refused connection).
 */
export function shippedNginxConfig(prefix: string, port: number, upstreamPorts: number[]): string {
  let conf = readFileSync(join(process.cwd(), 'deployment/nginx/nginx-ssl.conf'), 'utf8');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `    ${kind}_temp_path ${join(prefix, kind)};`)
    .join('\n');
  conf = must(
    conf,
    /^worker_processes .*;$/m,
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;\ndaemon off;`,
  );
  conf = must(conf, /^pid .*;$/m, `pid ${join(prefix, 'nginx.pid')};`);
  conf = must(conf, /^error_log .*;$/m, `error_log ${join(prefix, 'logs', 'error.log')} warn;`);
  conf = must(
    conf,
    'access_log /dev/stdout plinto;',
    `access_log ${join(prefix, 'logs', 'access.log')} plinto;\n${temp}`,
  );
  // The plain-HTTP server only redirects to https; there is no TLS here.
  conf = must(conf, /\n {4}# Plain HTTP only redirects[\s\S]*?\n {4}\}\n/, '\n');
  conf = must(conf, /^\s*listen 443 ssl http2;$/m, `        listen 127.0.0.1:${port};`);
  conf = must(conf, /^\s*listen \[::\]:443 ssl http2;\n/m, '');
  conf = must(conf, /^\s*(ssl_[a-z_]+|resolver|resolver_timeout) .*;\n/gm, '');
  // max_fails=0: every round still tries a dead replica first, so the retry path is exercised
  // on every third request instead of once per fail_timeout.
  const servers = upstreamPorts.map((p) => `        server 127.0.0.1:${p} max_fails=0;`).join('\n');
  conf = must(conf, /^\s*server app:4000 .*;$/m, servers);
  conf = must(
    conf,
    /(listen 127\.0\.0\.1:\d+;\n\s*server_name _;\n)/,
    '$1        add_header X-Plinto-Upstream $upstream_addr always;\n',
  );
  return conf;
}

/** A real nginx on loopback running the shipped configuration, round-robin over the given upstream ports. */
export async function startBalancer(upstreamPorts: number[], port?: number): Promise<Balancer> {
  const prefix = mkdtempSync(join(tmpdir(), 'plinto-nginx-'));
  mkdirSync(join(prefix, 'logs'));
  const listenPort = port ?? (await freePort());
  const file = join(prefix, 'nginx.conf');
  writeFileSync(file, shippedNginxConfig(prefix, listenPort, upstreamPorts));
  const child = spawn(requireTool('nginx'), ['-p', prefix, '-c', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => (stderr += `\n${error.message}`));
  const url = `http://127.0.0.1:${listenPort}`;
  await Promise.race([
    waitFor(async () => (await fetch(`${url}/health`)).status === 200, 'nginx', 10_000),
    exited.then(() => {
      throw new Error(`nginx exited: ${stderr}`);
    }),
  ]);
  return {
    url,
    accessLog: () => {
      const path = join(prefix, 'logs', 'access.log');
      return existsSync(path) ? readFileSync(path, 'utf8') : '';
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
