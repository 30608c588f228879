// `npm run build` (and `npm pack`, through prepack): compiles src/ and generated/ to dist/ (ESM +
// type declarations, no source maps) and copies the server's schema.graphql into the package.
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(join(packageDir, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(packageDir, 'tsconfig.build.json')], { stdio: 'inherit' });
copyFileSync(join(packageDir, '..', 'schema.graphql'), join(packageDir, 'schema.graphql'));
process.stderr.write('built @plinto/client into dist/, with schema.graphql\n');
