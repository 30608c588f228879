import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'data/',
      'client/generated/',
      'client/generated-admin/',
      'client/dist/',
      'coverage/',
      'test/artifacts/',
      '.stryker-tmp*/',
      'reports/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
      ],
    },
  },
  {
    files: ['*.config.js', '*.config.mjs', '*.config.ts', 'codegen.ts', '**/*.d.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  { files: ['test/**/*.ts', 'bench/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through src/config.ts.' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.d.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
        {
          selector: "CallExpression[callee.property.name='transactional']",
          message:
            'Use inTransaction (src/storage/transaction.ts): em.transactional enables AsyncLocalStorage.',
        },
        {
          selector:
            'CallExpression[callee.property.name=/^(flush|persistAndFlush|commit)$/][callee.object.name=/^(em|tx)$/]',
          message:
            'Write with native statements (insert, nativeUpdate, nativeDelete): a unit-of-work flush enters an AsyncLocalStorage (promise hooks on for the whole process on Node 20), and inTransaction never flushes.',
        },
        // Issue 24: `me` is served from a cache that every write of a users row must invalidate.
        {
          selector:
            "CallExpression[callee.property.name=/^(nativeUpdate|nativeDelete|upsert|upsertMany)$/][arguments.0.name='User']",
          message:
            'Change users rows through src/storage/user-rows.ts (updateUser, deleteUser): it drops the cached profile after the commit.',
        },
        {
          selector: 'Literal[value=/\\b(update\\s+"?users"?\\s+set|delete\\s+from\\s+"?users"?)\\b/i]',
          message:
            'Change users rows through src/storage/user-rows.ts (or call userRowChanged after the statement): it drops the cached profile.',
        },
        {
          selector:
            'TemplateElement[value.raw=/\\b(update\\s+"?users"?\\s+set|delete\\s+from\\s+"?users"?)\\b/i]',
          message:
            'Change users rows through src/storage/user-rows.ts (or call userRowChanged after the statement): it drops the cached profile.',
        },
      ],
    },
  },
  {
    // GraphQL errors are made only where GraphQL is spoken: resolvers, the error formatter and the
    // host that builds the schema and serves it. Domain code throws src/domain-errors.ts instead.
    files: ['src/**/*.ts'],
    ignores: [
      'src/resolvers/**',
      'src/format-error.ts',
      'src/errors.ts',
      'src/app.ts',
      'src/http-server.ts',
      'src/build-schema.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'graphql',
              importNames: ['GraphQLError'],
              message: 'GraphQL errors belong in src/resolvers; throw a domain error (src/domain-errors.ts).',
            },
          ],
          patterns: [
            {
              group: ['**/errors.js', '**/errors'],
              importNames: [
                'UnauthenticatedError',
                'BadUserInputError',
                'ServiceUnavailableError',
                'RateLimitedError',
              ],
              message: 'GraphQL errors belong in src/resolvers; throw a domain error (src/domain-errors.ts).',
            },
          ],
        },
      ],
    },
  },
);
