import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);
// .ci/run sets it to get vitest's JSON report while calling the README's `npm test` unchanged.
const jsonReport = process.env.TEST_JSON_REPORT;

export default defineConfig({
  resolve: {
    // Node resolves `graphql` to its CommonJS build for every package; vite would give source files
    // the .mjs build ("module" field), and a schema built across the two realms fails instanceof checks.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
    // Files, and the tests inside each file, run in a random order, so a test that only passes
    // after another one is found. vitest prints the seed ("Running tests with seed N"); replay that
    // order with `npx vitest run --sequence.seed=N` (or `npm test -- --sequence.seed=N`).
    sequence: { shuffle: true },
  },
});
