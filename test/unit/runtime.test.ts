import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
/** The runtime the project pins (the `node` npm package) and the production image must agree. */
const pinned: string = pkg.devDependencies.node;
const major = (version: string): number => Number(version.replace(/^v/, '').split('.')[0]);

describe('the Node.js runtime', () => {
  it('the tests run on the pinned Node.js 24, the one npm scripts put first on PATH', () => {
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
    expect(
      process.version,
      `tests run on Node.js ${process.version}, not the pinned ${pinned}: run them through npm test ` +
        `(or npx vitest), which puts node_modules/.bin/node first on PATH`,
    ).toBe(`v${pinned}`);
    // What the tests' child processes, npm start and npm run bench start as plain `node`.
    expect(execFileSync('node', ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${pinned}`);
  });

  it('production runs what the tests run: the Dockerfile defaults to the same Node.js release', () => {
    const dockerfile = readFileSync('deployment/Dockerfile', 'utf8');
    expect(dockerfile).toMatch(
      new RegExp(`^ARG NODE_IMAGE=node:${pinned.replaceAll('.', '\\.')}-bookworm-slim$`, 'm'),
    );
    // Both stages build from that argument, and the image's CMD and HEALTHCHECK run its node.
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\} AS \w+$/gm)).toHaveLength(2);
  });

  it('engines admits Node.js 24 LTS only (Node 20 is past its end of life)', () => {
    expect(pkg.engines.node).toBe('>=24.11.0 <25');
    expect(major(pinned)).toBe(24);
  });

  it('the native modules (bcrypt, argon2, libsql) load and work under it', async () => {
    const bcrypt = await import('bcrypt');
    const argon2 = await import('argon2');
    const { default: Database } = await import('libsql');
    expect(await bcrypt.default.compare('pw', await bcrypt.default.hash('pw', 4))).toBe(true);
    expect(await argon2.verify(await argon2.hash('pw'), 'pw')).toBe(true);
    expect(await argon2.verify(await argon2.hash('pw'), 'other')).toBe(false);
    const db = new Database(':memory:');
    expect((db.prepare('select 41 + 1 as answer').get() as { answer: number }).answer).toBe(42);
    db.close();
  });
});
