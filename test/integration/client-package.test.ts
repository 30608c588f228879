import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import type { TestServer } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';

const run = promisify(execFile);
const repo = resolve('.');
const packageJson = JSON.parse(readFileSync('client/package.json', 'utf8')) as {
  devDependencies: Record<string, string>;
};
const rootJson = JSON.parse(readFileSync('package.json', 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** What a client team installs beside the tarball: the peers, at the versions this repo tests with. */
const CONSUMER_DEPENDENCIES = {
  '@apollo/client': packageJson.devDependencies['@apollo/client'],
  rxjs: packageJson.devDependencies.rxjs,
  '@urql/core': packageJson.devDependencies['@urql/core'],
  '@urql/exchange-auth': packageJson.devDependencies['@urql/exchange-auth'],
  graphql: rootJson.dependencies.graphql,
  '@types/node': rootJson.devDependencies['@types/node'],
};

/** Each run starts Node processes that load Apollo Client and urql: slow on a loaded 2-core machine. */
const CONSUMER_RUN_TIMEOUT = 180_000;

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) =>
    statSync(join(dir, name)).isDirectory()
      ? filesUnder(join(dir, name), `${prefix}${name}/`)
      : [`${prefix}${name}`],
  );
}

/** The server's own access token for a session, already expired (as a client meets it in the wild). */
async function expiredAccessToken(server: TestServer, userId: string, sessionId: string): Promise<string> {
  const key = await server.app.services.signingKeys.signingKey();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: sessionId, amr: ['pwd'] })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
    .setSubject(userId)
    .setIssuer(server.app.config.appUrl)
    .setAudience('plinto')
    .setIssuedAt(now - 1000)
    .setExpirationTime(now - 100)
    .sign(key.privateKey!);
}

/** Refreshes the server performed, counted on its side (its own metrics registry, in process). */
async function serverRefreshes(server: TestServer): Promise<number> {
  const { values } = await server.app.services.metrics.authEvents.get();
  return values.find((v) => v.labels.event === 'refresh' && v.labels.result === 'success')?.value ?? 0;
}

describe('@plinto/client as a client team installs it (npm pack → throw-away project)', () => {
  const ctx = useServer('postgresql');
  const work = mkdtempSync(join(tmpdir(), 'plinto-client-package-'));
  const consumer = join(work, 'consumer');
  const unpacked = join(work, 'unpacked');
  let packedFiles: string[] = [];
  let typecheck: { code: number; output: string } = { code: -1, output: '' };

  beforeAll(async () => {
    // npm pack runs the package's prepack script: the build (tsc to dist/, schema.graphql copied in).
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: 'client' });
    // (lifecycle output may precede the JSON report)
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1 || 0)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    packedFiles = packed!.files.map((f) => f.path).sort();
    const tarball = join(work, packed!.filename);
    mkdirSync(unpacked);
    await run('tar', ['-xzf', tarball, '-C', unpacked]);

    mkdirSync(consumer);
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({
        name: 'plinto-consumer',
        private: true,
        type: 'module',
        dependencies: { '@plinto/client': `file:${tarball}`, ...CONSUMER_DEPENDENCIES },
      }),
    );
    for (const file of ['consumer.ts', 'tsconfig.json'])
      copyFileSync(join('test/client-consumer', file), join(consumer, file));
    // The npm cache is warm from the repository's own install: no registry round trip needed.
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: consumer,
    });
    typecheck = await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', consumer], {
      cwd: consumer,
    }).then(
      (r) => ({ code: 0, output: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, output: e.stdout }),
    );
  }, 600_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('packs only the built client, its schema and its operation documents', () => {
    for (const path of packedFiles) {
      expect(path).toMatch(
        /^(package\.json|README\.md|schema\.graphql|operations\/[a-z-]+\.graphql|dist\/(src|generated)\/[a-z-]+\.(js|d\.ts))$/,
      );
    }
    expect(packedFiles).toEqual(
      expect.arrayContaining(['dist/src/index.js', 'dist/src/apollo.js', 'dist/src/urql.js']),
    );
    expect(packedFiles).toContain('operations/session.graphql');
    // No server code, no tests, no source maps.
    expect(
      packedFiles.filter((p) => /\.map$|\.test\.|(^|\/)test\/|resolvers|storage\/|app\.js/.test(p)),
    ).toEqual([]);
  });

  it('ships the server schema as committed, and nothing in it points into this repository', () => {
    const files = filesUnder(join(unpacked, 'package'));
    expect(readFileSync(join(unpacked, 'package/schema.graphql'), 'utf8')).toBe(
      readFileSync('schema.graphql', 'utf8'),
    );
    for (const file of files) {
      const text = readFileSync(join(unpacked, 'package', file), 'utf8');
      expect(text, file).not.toContain(repo);
      expect(text, file).not.toContain('sourceMappingURL');
      expect(text, file).not.toMatch(/from ['"](node:|\.\.\/\.\.\/src)/);
    }
  });

  it('type-checks a consumer that narrows the result unions (tsc, strict, as a bundler-based web app compiles it, library types checked too)', () => {
    expect(typecheck.output).toBe('');
    expect(typecheck.code).toBe(0);
  });

  it(
    'signs up, signs in and reads me against a live server',
    async () => {
      const email = uniqueEmail('consumer');
      const { stdout } = await run(
        process.execPath,
        ['out/consumer.js', 'sign-in', `${ctx.server.url}/graphql`, email, STRONG_PASSWORD],
        { cwd: consumer },
      );
      const result = JSON.parse(stdout) as { email: string; wrongPassword: string; unauthenticated: string };
      expect(result.email).toBe(email);
      expect(result.wrongPassword).toBe('INVALID_CREDENTIALS: The email or password is incorrect.');
      expect(result.unauthenticated).toBe('UNAUTHENTICATED');
    },
    CONSUMER_RUN_TIMEOUT,
  );

  it(
    'refreshes an expired token exactly once for 10 concurrent operations, through the Apollo link and the urql exchange',
    async () => {
      const url = `${ctx.server.url}/graphql`;
      const { stdout: signedIn } = await run(
        process.execPath,
        ['out/consumer.js', 'sign-in', url, uniqueEmail('consumer-refresh'), STRONG_PASSWORD],
        { cwd: consumer },
      );
      const { userId, sessions } = JSON.parse(signedIn) as {
        userId: string;
        sessions: Array<{ sessionId: string; refreshToken: string }>;
      };
      const tokens = async (s: { sessionId: string; refreshToken: string }) => ({
        accessToken: await expiredAccessToken(ctx.server, userId, s.sessionId),
        refreshToken: s.refreshToken,
      });
      const before = await serverRefreshes(ctx.server);
      const { stdout } = await run(
        process.execPath,
        [
          'out/consumer.js',
          'refresh',
          url,
          JSON.stringify({ apollo: await tokens(sessions[0]!), urql: await tokens(sessions[1]!) }),
        ],
        { cwd: consumer },
      );
      const result = JSON.parse(stdout) as Record<
        'apollo' | 'urql',
        { requests: number; refreshes: number; pages: number[]; rotated: boolean }
      >;
      for (const library of ['apollo', 'urql'] as const) {
        expect(result[library].refreshes, library).toBe(1);
        // 10 operations refused, 1 refresh, 10 retries that succeeded (each returned its page).
        expect(result[library].requests, library).toBe(21);
        expect(result[library].pages, library).toHaveLength(10);
        expect(result[library].rotated, library).toBe(true);
      }
      expect((await serverRefreshes(ctx.server)) - before).toBe(2);
    },
    CONSUMER_RUN_TIMEOUT,
  );
});
