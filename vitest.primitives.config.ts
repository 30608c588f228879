import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';
/** The unit tests of the primitives that npm run mutation:primitives mutates. */
// Not mergeConfig: it would append to the base config's include list instead of replacing it.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    sequence: { shuffle: false },
    include: ['test/unit/security-primitives.test.ts', 'test/unit/totp.test.ts'],
  },
});
