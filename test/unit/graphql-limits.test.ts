import { parse, specifiedRules, validate } from 'graphql';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPlintoSchema } from '../../src/build-schema.js';
import { graphqlLimits } from '../../src/security/graphql-limits.js';

/**
 * The query-shape limits (src/security/graphql-limits.ts) against the real schema, without a
 * server: each limit at its boundary, the parser's token limit, introspection's exemption from the
 * depth limit and the production-only masking of field suggestions. The HTTP answers are proven by
 * test/integration/graphql-limits.test.ts; this file is fast enough for Stryker.
 */
let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildPlintoSchema();
});

/** The errors of parsing and validating a document as the server does. */
function check(document: string, production = false): GraphQLError[] {
  const limits = graphqlLimits({ production });
  return [
    ...validate(schema, parse(document, limits.parseOptions), [...specifiedRules, ...limits.validationRules]),
  ];
}
const limitErrors = (document: string) =>
  check(document)
    .map((error) => error.message)
    .filter((message) => /limit of/.test(message));
const nested = (levels: number) => `{ ${'... on Query { '.repeat(levels)}__typename${' }'.repeat(levels)} }`;
const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
const directives = (n: number) => `{ me @include(if: true) { id ${'@skip(if: false) '.repeat(n - 1)} } }`;

describe('GraphQL limits', () => {
  it('allows a depth of 10, counting each nested inline fragment as a level, and refuses 11', () => {
    expect(limitErrors(nested(9))).toEqual([]);
    expect(limitErrors(nested(10))).toEqual(['Syntax Error: Query depth limit of 10 exceeded, found 11.']);
  });

  it('does not count introspection against the depth limit', () => {
    const deepIntrospection = `{ __schema { types { fields { type ${'{ ofType '.repeat(6)}{ name }${' }'.repeat(6)} } } } }`;
    expect(check(deepIntrospection)).toEqual([]);
  });

  it('allows a cost of 5000 and refuses more: 1 a scalar, 2 an object, times 1.5 a level, inline fragments included', () => {
    // 9 nested inline fragments around n scalars: 2 + 1.5 × (… 2 + 1.5 × n): 126 cost 4993.6, 127 cost 5032.1.
    const scalars = (n: number) => nested(9).replace('__typename', Array(n).fill('__typename').join(' '));
    expect(limitErrors(scalars(126))).toEqual([]);
    expect(limitErrors(scalars(127))).toEqual([
      'Syntax Error: Query Cost limit of 5000 exceeded, found 5032.080078125.',
    ]);
  });

  it('does not count introspection against the cost limit', () => {
    // Counted, this document would cost about 19,948.
    const costly = `{ __schema { types { fields { type ${'{ ofType '.repeat(16)}{ name kind }${' }'.repeat(16)} } } } }`;
    expect(check(costly)).toEqual([]);
  });

  it('allows 15 aliases and refuses 16', () => {
    expect(limitErrors(aliases(15))).toEqual([]);
    expect(limitErrors(aliases(16))).toEqual(['Syntax Error: Aliases limit of 15 exceeded, found 16.']);
  });

  it('does not count aliases of __typename', () => {
    const typenames = Array.from({ length: 20 }, (_, i) => `t${i}: __typename`).join(' ');
    expect(limitErrors(aliases(15).replace(/ }$/, ` ${typenames} }`))).toEqual([]);
    expect(limitErrors(aliases(16).replace(/ }$/, ` ${typenames} }`))).toEqual([
      'Syntax Error: Aliases limit of 15 exceeded, found 16.',
    ]);
  });

  it('allows 20 directives and refuses 21', () => {
    expect(limitErrors(directives(20))).toEqual([]);
    expect(limitErrors(directives(21))).toEqual(['Syntax Error: Directives limit of 20 exceeded, found 21.']);
  });

  it('stops parsing past 2,000 tokens', () => {
    expect(graphqlLimits({ production: false }).parseOptions).toEqual({ maxTokens: 2000 });
    // `{`, `}` and three tokens per `aN: me` field: 666 fields are 2,000 tokens.
    const fields = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me`).join(' ')} }`;
    expect(() => parse(fields(666), graphqlLimits({ production: false }).parseOptions)).not.toThrow();
    expect(() => parse(fields(667), graphqlLimits({ production: false }).parseOptions)).toThrow(
      /more th\w+ 2000 tokens/,
    );
  });

  it('masks field suggestions in production only, with no other request plugin', async () => {
    expect(graphqlLimits({ production: false }).plugins).toEqual([]);
    const [plugin, ...others] = graphqlLimits({ production: true }).plugins;
    expect(others).toEqual([]);
    const errors = check('{ mee { id } }', true);
    expect(errors.map((error) => error.message)).toEqual([
      'Cannot query field "mee" on type "Query". Did you mean "me"?',
    ]);
    const hooks = await plugin!.requestDidStart!({} as never);
    await hooks!.didEncounterErrors!({ errors } as never);
    expect(errors[0]!.message).not.toMatch(/Did you mean|"me"/);
    expect(errors[0]!.message).toMatch(/^Cannot query field "mee" on type "Query"\./);
  });
});
