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
    // Files run in a random order; vitest prints the seed ("Running tests with seed N"): rerun an
    // order with `npx vitest run --sequence.seed=N`. Shuffling the tests inside each file as well
    // (`tests: true`) is the goal of issue 27; it is off until the files it showed to depend on their
    // order (expired-row sweeper, rate limits, scale-out) are made independent.
    sequence: { shuffle: { files: true, tests: false } },
  },
});
