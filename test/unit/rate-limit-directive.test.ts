import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLBoolean, GraphQLObjectType, GraphQLSchema, GraphQLString, validateSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_RATE_LIMIT_DIRECTIVE,
  annotateRateLimits,
  CLIENT_RATE_LIMIT_DIRECTIVE,
} from '../../src/security/rate-limit.directive.js';
import { DEFAULT_RATE_LIMITS } from '../../src/security/rate-limit-rules.js';

/**
 * annotateRateLimits (src/security/rate-limit.directive.ts) on a small schema of its own: which
 * Mutation fields get which directive, what the directives declare, and that a field's other
 * directives and extensions survive. test/unit/rate-limit-schema.test.ts proves the same on the
 * Plinto schema; this file is fast enough for Stryker.
 */
function schemaOf(): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: { signIn: { type: GraphQLBoolean }, ping: { type: GraphQLBoolean } },
    }),
    mutation: new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        signIn: { type: GraphQLBoolean, args: { email: { type: GraphQLString } } },
        signOut: { type: GraphQLBoolean },
        tagged: {
          type: GraphQLBoolean,
          extensions: { directives: { audited: [{ level: 'high' }] }, owner: 'flows' },
        },
      },
    }),
  });
}

const LIMITS = {
  signIn: { client: { limit: 5, durationSeconds: 60 }, account: { limit: 10, durationSeconds: 120 } },
  tagged: { client: { limit: 2, durationSeconds: 30 } },
  // A limit for a field the schema does not have changes nothing.
  missing: { client: { limit: 1, durationSeconds: 1 } },
};

const mutationField = (schema: GraphQLSchema, name: string) => schema.getMutationType()!.getFields()[name]!;

describe('rate-limit directives', () => {
  it('puts the client rule, and the account rule where there is one, on the named Mutation fields only', () => {
    const schema = annotateRateLimits(schemaOf(), LIMITS);
    expect(mutationField(schema, 'signIn').extensions).toEqual({
      directives: {
        [CLIENT_RATE_LIMIT_DIRECTIVE]: [{ limit: 5, duration: 60 }],
        [ACCOUNT_RATE_LIMIT_DIRECTIVE]: [{ limit: 10, duration: 120 }],
      },
    });
    expect(mutationField(schema, 'signOut').extensions).toEqual({});
    // A query field of the same name is no mutation.
    expect(schema.getQueryType()!.getFields().signIn!.extensions).toEqual({});
    expect(Object.keys(schema.getMutationType()!.getFields())).toEqual(['signIn', 'signOut', 'tagged']);
  });

  it('keeps a field’s other directives and extensions', () => {
    const schema = annotateRateLimits(schemaOf(), LIMITS);
    expect(mutationField(schema, 'tagged').extensions).toEqual({
      owner: 'flows',
      directives: {
        audited: [{ level: 'high' }],
        [CLIENT_RATE_LIMIT_DIRECTIVE]: [{ limit: 2, duration: 30 }],
      },
    });
  });

  it('uses the default limits when none are given', () => {
    const schema = annotateRateLimits(schemaOf());
    const signIn = DEFAULT_RATE_LIMITS.signIn!;
    expect(mutationField(schema, 'signIn').extensions).toEqual({
      directives: {
        [CLIENT_RATE_LIMIT_DIRECTIVE]: [
          { limit: signIn.client.limit, duration: signIn.client.durationSeconds },
        ],
        [ACCOUNT_RATE_LIMIT_DIRECTIVE]: [
          { limit: signIn.account!.limit, duration: signIn.account!.durationSeconds },
        ],
      },
    });
  });

  it('declares both directives on field definitions, with required Int limit and duration', () => {
    const schema = annotateRateLimits(schemaOf(), LIMITS);
    expect(validateSchema(schema)).toEqual([]);
    const sdl = printSchemaWithDirectives(schema);
    expect(sdl).toContain(
      [
        '"""',
        'Calls allowed per client IP. Over the limit: error RATE_LIMITED with extensions.retryAfter and an HTTP Retry-After header.',
        '"""',
        'directive @rateLimit(',
        '  """Number of calls allowed per window; each alias counts as one call."""',
        '  limit: Int!',
        '  """Window length in seconds."""',
        '  duration: Int!',
        ') on FIELD_DEFINITION',
      ].join('\n'),
    );
    expect(sdl).toContain(
      [
        '"""',
        'Calls allowed per target account (the email argument, or the signed-in user), from any number of IPs.',
        '"""',
        'directive @rateLimitPerAccount(',
        '  """Number of calls allowed per window; each alias counts as one call."""',
        '  limit: Int!',
        '  """Window length in seconds."""',
        '  duration: Int!',
        ') on FIELD_DEFINITION',
      ].join('\n'),
    );
    expect(sdl).toContain(
      'signIn(email: String): Boolean @rateLimit(limit: 5, duration: 60) @rateLimitPerAccount(limit: 10, duration: 120)',
    );
  });

  it('can annotate an annotated schema again: one definition of each directive, the built-in ones kept', () => {
    const once = annotateRateLimits(schemaOf(), LIMITS);
    const twice = annotateRateLimits(once, LIMITS);
    expect(validateSchema(twice)).toEqual([]);
    expect(twice.getDirectives().map((d) => d.name)).toEqual([
      ...schemaOf()
        .getDirectives()
        .map((d) => d.name),
      CLIENT_RATE_LIMIT_DIRECTIVE,
      ACCOUNT_RATE_LIMIT_DIRECTIVE,
    ]);
    expect(mutationField(twice, 'signIn').extensions.directives).toEqual({
      [CLIENT_RATE_LIMIT_DIRECTIVE]: [{ limit: 5, duration: 60 }],
      [ACCOUNT_RATE_LIMIT_DIRECTIVE]: [{ limit: 10, duration: 120 }],
    });
  });
});
