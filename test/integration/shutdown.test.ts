import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gql, SIGN_IN, SIGN_UP, STRONG_PASSWORD } from '../helpers/graphql.js';
import { TEST_AUTH_SECRET } from '../helpers/server.js';

const IN_FLIGHT = 20;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited early (${code}):\n${seen}`)));
  });
}

describe('graceful shutdown of the real process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plinto-shutdown-'));
  let child: ChildProcess | undefined;

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets 20 slow in-flight sign-ins complete after SIGTERM, stops accepting, and exits 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: process.cwd(),
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${join(dir, 'plinto.sqlite')}`,
        DATA_DIR: dir,
        AUTH_SECRET: TEST_AUTH_SECRET,
        SIGNUP_MODE: 'immediate',
        // 20 sign-ins from one address would meet the signIn limit: this test is about draining.
        RATE_LIMITS_ENABLED: 'false',
        LOG_LEVEL: 'warn',
        // Slow requests for a legitimate reason: real-cost hashes, one at a time, so 20 sign-ins queue for seconds.
        BCRYPT_COST: '11',
        HASH_CONCURRENCY: '1',
        SHUTDOWN_DRAIN_SECONDS: '1',
        SHUTDOWN_TIMEOUT_SECONDS: '60',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child!.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await waitForOutput(child, /listening on/, 30_000);

    const email = 'drain@example.com';
    const signUp = await gql(url, SIGN_UP, { email, password: STRONG_PASSWORD });
    expect(signUp.body.data?.signUp.__typename).toBe('SignInSuccess');

    let completed = 0;
    const signIns = Array.from({ length: IN_FLIGHT }, () =>
      gql(url, SIGN_IN, { email, password: STRONG_PASSWORD }).then((response) => {
        completed += 1;
        return response;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    const pendingAtSigterm = IN_FLIGHT - completed;
    child.kill('SIGTERM');

    // Draining: still serving, but no longer ready (the signal reaches the process asynchronously).
    let ready = await fetch(`${url}/ready`);
    for (let i = 0; i < 20 && ready.status === 200; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      ready = await fetch(`${url}/ready`);
    }
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'draining', failed: [] });

    // Then the listener closes while sign-ins are still being answered.
    let refusedWhilePending = false;
    for (let i = 0; i < 100 && completed < IN_FLIGHT; i += 1) {
      try {
        await fetch(`${url}/health`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      } catch {
        refusedWhilePending = completed < IN_FLIGHT;
        break;
      }
    }

    const responses = await Promise.all(signIns);
    const { code, signal } = await exited;

    expect(pendingAtSigterm).toBeGreaterThanOrEqual(15);
    expect(refusedWhilePending).toBe(true);
    expect(responses.map((r) => r.status)).toEqual(Array(IN_FLIGHT).fill(200));
    expect(responses.map((r) => r.body.data?.signIn.__typename)).toEqual(
      Array(IN_FLIGHT).fill('SignInSuccess'),
    );
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  }, 90_000);
});
