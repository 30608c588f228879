import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The tests Stryker runs against mutants (npm run mutation): the unit tests of the security
 * primitives and the integration tests that prove the ledger's claims about tokens, sessions,
 * passwords, one-time tokens, MFA and rate limits. Timing, outage and deployment tests are left
 * out: they prove other claims and would only slow every mutant down.
 */
// Not mergeConfig: it would append to the base config's include list instead of replacing it.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // Stryker maps mutants to tests by position: a fixed order.
    sequence: { shuffle: false },
    // Instrumented code on a loaded machine: the initial run must not fail on a slow test.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // MUTATION_TESTS=a.test.ts,b.test.ts narrows a module's run (npm run mutation:module) to the test
    // files that prove its claims: the initial run then takes those files' time, not all of them.
    include: process.env.MUTATION_TESTS
      ? process.env.MUTATION_TESTS.split(',')
      : [
          'test/unit/security-primitives.test.ts',
          'test/unit/totp.test.ts',
          'test/unit/login-failure-counter.test.ts',
          'test/unit/rate-limit-schema.test.ts',
          'test/integration/tokens.test.ts',
          'test/integration/passwords.test.ts',
          'test/integration/refresh.test.ts',
          'test/integration/mfa.test.ts',
          'test/integration/flows.test.ts',
          'test/integration/rate-limits.test.ts',
          'test/integration/login-failures.test.ts',
          'test/integration/email-flows.test.ts',
          'test/integration/email-flows-password.test.ts',
          'test/integration/secrets-at-rest.test.ts',
          'test/integration/headers.test.ts',
          'test/integration/graphql-limits.test.ts',
        ],
  },
});
