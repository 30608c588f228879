// @ts-check
/**
 * npm run mutation's config for a module measured against fast unit tests (MUTATION_TESTS, see
 * docs/SECURITY.md "Mutation testing"): vitest's thread pool, whose workers start in about half the
 * time of a fork, which is most of a mutant's cost when its tests take a second. Shares the
 * incremental file. `npm run mutation:module -- src/x.ts -- stryker.unit.config.mjs`.
 */
import base from './stryker.config.mjs';
export default {
  ...base,
  vitest: { ...base.vitest, pool: 'threads' },
};
