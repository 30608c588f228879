import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// Build time only (esbuild comes with tsx, a dev dependency): the server never imports this file.
import { build } from 'esbuild';
import { DEFAULT_PAGE_ASSETS_DIR } from './src/pages/pages.routes.js';

/**
 * `npm run build:pages` (part of `npm run build`): bundles the hosted pages' scripts, with the
 * typed client from client/, into dist/src/pages/assets, where the server (and the image) find them.
 */

const browserDir = join(dirname(fileURLToPath(import.meta.url)), 'src', 'pages', 'browser');

/** One bundle per page (the typed client and qrcode included) plus the shared stylesheet. */
export const PAGE_SCRIPTS = [
  'sign-up',
  'sign-in',
  'verify-email',
  'reset-password',
  'magic-link',
  'account',
  'email-change',
  'admin',
];

/** Bundles the page scripts and the stylesheet into `outDir` (what /assets serves). */
export async function buildPageAssets(outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [
      ...PAGE_SCRIPTS.map((name) => ({ in: join(browserDir, `${name}.ts`), out: name })),
      { in: join(browserDir, 'pages.css'), out: 'pages' },
    ],
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    // No eval, no runtime code generation: the bundles run under `default-src 'self'`.
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  await copyFile(join(browserDir, 'favicon.svg'), join(outDir, 'favicon.svg'));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? DEFAULT_PAGE_ASSETS_DIR;
  await buildPageAssets(outDir);
  console.log(`page assets built in ${outDir}`);
}
