import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, getNullableType, GraphQLID, isInputObjectType, isListType } from 'graphql';
import type { GraphQLArgument, GraphQLFieldConfig, GraphQLSchema } from 'graphql';
import { BadUserInputError } from '../errors.js';

// Every id Plinto hands out is a UUID (users, sessions, audit events).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isIdType(type: GraphQLArgument['type']): boolean {
  let inner = getNullableType(type);
  while (isListType(inner)) inner = getNullableType(inner.ofType);
  return inner === GraphQLID;
}

function badIds(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.some(badIds);
  return typeof value !== 'string' || !UUID.test(value);
}

/**
 * Every `ID` argument is checked before its resolver runs: a malformed id is the caller's
 * mistake (BAD_USER_INPUT), never a database error (PostgreSQL refuses a non-UUID in a uuid
 * column, which would surface as a 500 and put the statement in the logs).
 */
export function validateIdArguments(schema: GraphQLSchema): GraphQLSchema {
  // Only field arguments are checked: an ID inside an input object would slip past, so none may exist.
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isInputObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      if (isIdType(field.type)) {
        throw new Error(
          `${type.name}.${field.name} is an ID inside an input: validateIdArguments cannot check it`,
        );
      }
    }
  }
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field: GraphQLFieldConfig<unknown, unknown>) => {
      const idArgs = Object.entries(field.args ?? {})
        .filter(([, arg]) => isIdType(arg.type))
        .map(([name]) => name);
      if (idArgs.length === 0) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve: (source, args: Record<string, unknown>, context, info) => {
          for (const name of idArgs) {
            if (badIds(args[name])) throw new BadUserInputError(`"${name}" is not a valid id.`, name);
          }
          return resolve(source, args, context, info);
        },
      };
    },
  });
}
