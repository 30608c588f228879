import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** The browser entry of @plinto/client as an app's bundler would ship it: minified, for browsers. */
async function bundle(entry: string, external: string[] = []) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    // platform browser: a node: import (or any Node-only module) fails the build.
    platform: 'browser',
    target: 'es2020',
    write: false,
    metafile: true,
    logLevel: 'silent',
    external,
  });
  const code = result.outputFiles[0]!.contents;
  return { text: Buffer.from(code).toString('utf8'), gzipBytes: gzipSync(code, { level: 9 }).length, result };
}

const FRAMEWORKS = ['@apollo/client', '@urql/core', '@urql/exchange-auth', 'graphql', 'rxjs'];

describe('@plinto/client browser entry', () => {
  it('bundles for the browser under 15 kB minified + gzip, from the client package alone', async () => {
    const { gzipBytes, result } = await bundle('client/src/index.ts');
    console.log(`@plinto/client browser entry: ${(gzipBytes / 1024).toFixed(1)} kB minified + gzip`);
    expect(gzipBytes).toBeLessThan(15 * 1024);
    // Only the package's own files: no server code, no dependency pulled in at run time.
    for (const input of Object.keys(result.metafile.inputs))
      expect(input).toMatch(/^client\/(src|generated)\//);
  });

  it('keeps no token in web storage (sessionStorage holds only the social binding) and never touches cookies from script', async () => {
    const { text } = await bundle('client/src/index.ts');
    expect(text).not.toMatch(/localStorage|document\.cookie|indexedDB/);
    // The one use of sessionStorage: the social sign-in binding survives the trip to the provider
    // (set at begin, read and removed at completion) under its own key, and nothing else is stored.
    const uses = [...text.matchAll(/sessionStorage\??\.(\w+)\(([^,)]*)/g)].map((m) => [m[1], m[2]]);
    expect(uses.map(([method]) => method).sort()).toEqual(['getItem', 'removeItem', 'setItem']);
    const keyOf = (argument: string) =>
      argument.startsWith('"') ? argument : new RegExp(`\\b${argument}="([^"]+)"`).exec(text)?.[1];
    for (const [, argument] of uses)
      expect(keyOf(argument!)?.replaceAll('"', '')).toBe('plinto.social.binding');
  });

  it('bundles the Apollo and urql links for the browser too (frameworks external)', async () => {
    for (const entry of ['client/src/apollo.ts', 'client/src/urql.ts']) {
      const { gzipBytes, result } = await bundle(entry, FRAMEWORKS);
      expect(gzipBytes).toBeLessThan(2 * 1024);
      expect(Object.keys(result.metafile.outputs).length).toBe(1);
    }
  });
});
