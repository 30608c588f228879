// @ts-check
/**
 * The fast scope of npm run mutation (npm run mutation:primitives): the cryptographic, password
 * and TOTP primitives against their unit tests, minutes instead of the full run's hours on a
 * loaded machine. Shares the full run's incremental file.
 */
import base from './stryker.config.mjs';
export default {
  ...base,
  vitest: { ...base.vitest, configFile: 'vitest.primitives.config.ts' },
  mutate: ['src/security/crypto.ts', 'src/security/password-policy.ts', 'src/security/totp.ts'],
};
