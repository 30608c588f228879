import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { DirectiveLocation, GraphQLDirective, GraphQLInt, GraphQLNonNull, GraphQLSchema } from 'graphql';
import type { FieldRateLimits } from './rate-limit-rules.js';
import { resolveRateLimits } from './rate-limit-rules.js';

export const CLIENT_RATE_LIMIT_DIRECTIVE = 'rateLimit';
export const ACCOUNT_RATE_LIMIT_DIRECTIVE = 'rateLimitPerAccount';

function limitDirective(name: string, description: string): GraphQLDirective {
  return new GraphQLDirective({
    name,
    description,
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: {
      limit: {
        type: new GraphQLNonNull(GraphQLInt),
        description: 'Number of calls allowed per window; each alias counts as one call.',
      },
      duration: { type: new GraphQLNonNull(GraphQLInt), description: 'Window length in seconds.' },
    },
  });
}

const directiveDefinitions = [
  limitDirective(
    CLIENT_RATE_LIMIT_DIRECTIVE,
    'Calls allowed per client IP. Over the limit: error RATE_LIMITED with extensions.retryAfter and an HTTP Retry-After header.',
  ),
  limitDirective(
    ACCOUNT_RATE_LIMIT_DIRECTIVE,
    'Calls allowed per target account (the email argument, or the signed-in user), from any number of IPs.',
  ),
];

/**
 * Puts `@rateLimit` / `@rateLimitPerAccount` on every Mutation field named in the limits table,
 * by name, so a field added by any resolver is limited without a decorator of its own. The
 * directives live in the field's extensions, where printSchemaWithDirectives and the rate-limit
 * transformer both read them.
 */
export function annotateRateLimits(
  schema: GraphQLSchema,
  limits: Readonly<Record<string, FieldRateLimits>> = resolveRateLimits(),
): GraphQLSchema {
  const withDefinitions = new GraphQLSchema({
    ...schema.toConfig(),
    directives: [
      ...schema.getDirectives().filter((d) => !directiveDefinitions.some((own) => own.name === d.name)),
      ...directiveDefinitions,
    ],
  });
  return mapSchema(withDefinitions, {
    [MapperKind.MUTATION_ROOT_FIELD]: (fieldConfig, fieldName) => {
      const fieldLimits = limits[fieldName];
      if (!fieldLimits) return fieldConfig;
      const existing = (fieldConfig.extensions?.directives ?? {}) as Record<string, unknown>;
      const directives: Record<string, unknown> = {
        ...existing,
        [CLIENT_RATE_LIMIT_DIRECTIVE]: [
          { limit: fieldLimits.client.limit, duration: fieldLimits.client.durationSeconds },
        ],
      };
      if (fieldLimits.account) {
        directives[ACCOUNT_RATE_LIMIT_DIRECTIVE] = [
          { limit: fieldLimits.account.limit, duration: fieldLimits.account.durationSeconds },
        ];
      }
      return { ...fieldConfig, extensions: { ...fieldConfig.extensions, directives } };
    },
  });
}
