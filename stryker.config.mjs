// @ts-check
/**
 * Mutation testing of the security-critical code (npm run mutation; docs/SECURITY.md has the scores).
 * Incremental: reports/stryker-incremental.json is committed, so a run tests only the mutants whose
 * code or covering tests changed since it was written. `npm run mutation -- --mutate 'src/auth/x.ts'`
 * narrows a run to one module.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const config = {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts', related: true, pool: 'forks' },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/security/**/*.ts',
    'src/auth/refresh-rotation.ts',
    'src/auth/session.service.ts',
    'src/auth/liveness-cache.ts',
    'src/auth/one-time-token.service.ts',
    'src/auth/recovery-codes.ts',
    'src/auth/second-factor.service.ts',
    'src/auth/mfa-challenge.service.ts',
    'src/auth/totp-enrollment.service.ts',
    'src/auth/login-failure-counter.ts',
    'src/auth/login-failure-store.ts',
    'src/auth/password-change.service.ts',
    'src/auth/password-reset.service.ts',
  ],
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  concurrency: 1,
  timeoutMS: 60_000,
  dryRunTimeoutMinutes: 40,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 85, break: null },
};

export default config;
