import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ParseOptions, ValidationRule } from 'graphql';

export interface GraphQLLimits {
  plugins: ApolloServerPlugin[];
  validationRules: ValidationRule[];
  parseOptions: ParseOptions;
}

/**
 * Query-shape limits, checked while parsing and validating, before any resolver runs: an abusive
 * document costs a parse, never a password hash or a database round trip. The numbers fit the
 * contract's deepest real operation (about 5 levels) with room to spare.
 */
export function graphqlLimits(options: { production: boolean }): GraphQLLimits {
  // Every value is written out, also where it equals graphql-armor's default (3.2.0): an upgrade
  // that changes a default must not change Plinto's limits. The cost formula is part of the cost
  // limit (5000 means nothing without it).
  const armor = new ApolloArmor({
    // Aliases multiply work per request; 15 covers any real client, 1,000 is an attack.
    // Aliases of __typename cost no resolver and are not counted.
    maxAliases: { n: 15, allowList: ['__typename'] },
    // Inline fragments count as a level: nesting them is the only way to go deep in this schema.
    maxDepth: { n: 10, ignoreIntrospection: true, flattenFragments: false },
    // A scalar costs 1, an object 2 plus 1.5 times its selections, so each level of nesting
    // (inline fragments included) multiplies by 1.5; introspection costs nothing here (production
    // turns introspection off).
    costLimit: {
      maxCost: 5000,
      scalarCost: 1,
      objectCost: 2,
      depthCostFactor: 1.5,
      flattenFragments: false,
      ignoreIntrospection: true,
    },
    // Token count is enforced by graphql's own parser (parseOptions below): armor's token plugin
    // re-parses in a hook where any syntax error becomes an HTTP 500.
    maxTokens: { enabled: false },
    maxDirectives: { n: 20 },
    // "Did you mean …" leaks the schema where introspection is off: production only.
    blockFieldSuggestion: { enabled: options.production },
  });
  const { plugins, validationRules } = armor.protect();
  // The parser stops counting at this many tokens, so a huge document is refused while parsing.
  return { plugins: plugins as ApolloServerPlugin[], validationRules, parseOptions: { maxTokens: 2000 } };
}
