import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './replicas.js';

const run = promisify(execFile);
const ROOT = process.cwd();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : [path];
  });
}

/**
 * `tsc -p tsconfig.build.json` (the server half of `npm run build`, as the image runs it) into
 * test/artifacts, once per source version: files that need the production build share it, and a
 * rerun without source changes reuses it. Returns the directory that holds src/main.js.
 */
export async function productionBuild(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...sourceFiles(join(ROOT, 'src')), join(ROOT, 'tsconfig.json')].sort()) {
    hash.update(relative(ROOT, file)).update(readFileSync(file));
  }
  const out = join(ROOT, 'test', 'artifacts', `production-build-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(out, 'src', 'main.js'))) return out;
  mkdirSync(join(ROOT, 'test', 'artifacts'), { recursive: true });
  const temp = `${out}.${process.pid}`;
  await run(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', temp],
    {
      cwd: ROOT,
    },
  );
  // Another test file may have finished the same build meanwhile: either copy is the same.
  if (existsSync(join(out, 'src', 'main.js'))) rmSync(temp, { recursive: true, force: true });
  else renameSync(temp, out);
  return out;
}

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a compiled entry point (src/main.js, src/cli/…) to its end, with only the given environment. */
export function runBuilt(
  build: string,
  entry: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(build, entry)], {
      cwd: ROOT,
      // /metrics on any free port unless the test names one: production's 9464 would be taken by
      // whichever built server of a parallel test started first (SU-5 failed on it in CI).
      env: { PATH: process.env.PATH ?? '', METRICS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} still running after ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningServer {
  url: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts the compiled server on a free port and resolves once /ready answers 200. */
export async function startBuilt(build: string, env: Record<string, string>): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(build, 'src', 'main.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', METRICS_PORT: '0', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${output}`);
    const status = await fetch(`${url}/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
