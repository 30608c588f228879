import { MapperKind, mapSchema } from '@graphql-tools/utils';
import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';
import { defaultFieldResolver } from 'graphql';
import { InvalidInputError, ServiceBusyError } from '../domain-errors.js';
import { BadUserInputError, ServiceUnavailableError } from '../errors.js';

/** A domain error as the GraphQL error with its stable code; anything else unchanged (formatError masks it). */
export function toGraphQLError(error: unknown): unknown {
  if (error instanceof InvalidInputError) return new BadUserInputError(error.message, error.field);
  if (error instanceof ServiceBusyError) return new ServiceUnavailableError(error.message);
  return error;
}

/**
 * Wraps every Query and Mutation field so that domain errors (src/domain-errors.ts) leave the
 * API as GraphQL errors: domain code never imports a GraphQL error class (lint enforces it).
 */
export function mapDomainErrors(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.ROOT_FIELD]: (field) => {
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve: async (source, args, context, info) => {
          try {
            return await resolve(source, args, context, info);
          } catch (error) {
            throw toGraphQLError(error);
          }
        },
      };
    },
  });
}
