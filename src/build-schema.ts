import 'reflect-metadata';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import type { ContainerType, NonEmptyArray } from 'type-graphql';
import { authCheckerFor } from './resolvers/auth-checker.js';
import type { AuthorizationSettings } from './resolvers/auth-checker.js';
import { mapDomainErrors } from './resolvers/domain-errors.js';
import { resolverClasses } from './resolvers/index.js';
import type { FieldRateLimits } from './security/rate-limit-rules.js';
import { resolveRateLimits } from './security/rate-limit-rules.js';
import { annotateRateLimits } from './security/rate-limit.directive.js';
import { validateIdArguments } from './resolvers/id-arguments.js';
import { DateTimeScalar } from './schema/scalars.js';

export type ResolverClass = abstract new (...args: never[]) => unknown;

const noContainer: ContainerType = {
  get: () => {
    throw new Error('schema built for printing only: resolvers cannot run');
  },
};

/** The schema with its rate-limit directives (defaults unless the configured limits are given). */
export async function buildPlintoSchema(
  container: ContainerType = noContainer,
  rateLimits: Readonly<Record<string, FieldRateLimits>> = resolveRateLimits(),
  authorization: AuthorizationSettings = { adminRequireMfa: true },
): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: resolverClasses as unknown as NonEmptyArray<ResolverClass>,
    container,
    authChecker: authCheckerFor(authorization),
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
  });
  return annotateRateLimits(validateIdArguments(mapDomainErrors(schema)), rateLimits);
}

export const SCHEMA_HEADER =
  '# Generated from src/schema and src/resolvers by `npm run schema`. Do not edit: CI fails when it differs.\n\n';

export function printPlintoSchema(schema: GraphQLSchema): string {
  return `${SCHEMA_HEADER}${printSchemaWithDirectives(schema)}\n`;
}
