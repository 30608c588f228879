import { readFileSync } from 'node:fs';
import {
  buildSchema as parseSdl,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isUnionType,
} from 'graphql';
import type { GraphQLArgument, GraphQLField, GraphQLInputField } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildPlintoSchema } from '../../src/build-schema.js';

/** A field's shape as a client sees it: its type and, for output fields, its arguments. */
function shape(field: GraphQLField<unknown, unknown> | GraphQLInputField): string {
  // Argument order means nothing in GraphQL (they are passed by name): compared sorted.
  const args =
    'args' in field
      ? field.args.map((arg: GraphQLArgument) => `${arg.name}: ${String(arg.type)}`).sort()
      : [];
  return `${args.length ? `(${args.join(', ')})` : ''}: ${String(field.type)}`;
}

// The shared contract as it was handed over (an untouched copy: the repository never reads ../shared),
// and docs/api/contract.graphql, that contract with this project's documented extensions.
describe.each([['test/fixtures/shared-contract.graphql'], ['docs/api/contract.graphql']])(
  'the public contract %s',
  (file) => {
    it('keeps every type and field of the public contract, with the same type and arguments', async () => {
      const contract = parseSdl(readFileSync(file, 'utf8'));
      const schema = await buildPlintoSchema();
      const problems: string[] = [];
      for (const [name, type] of Object.entries(contract.getTypeMap())) {
        if (name.startsWith('__')) continue;
        const ours = schema.getType(name);
        if (!ours) {
          problems.push(`${name}: missing`);
          continue;
        }
        if (ours.constructor !== type.constructor) problems.push(`${name}: not the same kind of type`);
        if ((isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) && 'getFields' in ours) {
          const fields = (ours as typeof type).getFields() as Record<string, GraphQLField<unknown, unknown>>;
          for (const [fieldName, field] of Object.entries(type.getFields())) {
            const mine = fields[fieldName];
            if (!mine) problems.push(`${name}.${fieldName}: missing`);
            // Extending is adding: an argument may be added only if it is optional; nothing changes type.
            else {
              const theirs = shape(field);
              const kept = shape({
                ...mine,
                args:
                  'args' in mine
                    ? mine.args.filter(
                        (a) => 'args' in field && field.args.some((b: GraphQLArgument) => b.name === a.name),
                      )
                    : [],
              } as GraphQLField<unknown, unknown>);
              if (theirs !== kept)
                problems.push(`${name}.${fieldName}${theirs} became ${fieldName}${shape(mine)}`);
              if ('args' in mine && 'args' in field)
                for (const arg of mine.args)
                  if (
                    !field.args.some((b: GraphQLArgument) => b.name === arg.name) &&
                    String(arg.type).endsWith('!') &&
                    arg.defaultValue === undefined
                  )
                    problems.push(`${name}.${fieldName}: new required argument ${arg.name}`);
            }
          }
        }
        // A union may gain members (clients switch with a default branch); it may not lose one.
        if (isUnionType(type) && isUnionType(ours)) {
          for (const member of type.getTypes())
            if (!ours.getTypes().some((m) => m.name === member.name))
              problems.push(`${name}: lost member ${member.name}`);
        }
      }
      expect(problems).toEqual([]);
    });
  },
);
