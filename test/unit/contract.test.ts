import { readFileSync } from 'node:fs';
import { buildSchema as parseSdl } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildPlintoSchema } from '../../src/build-schema.js';

describe('the public contract (docs/api/contract.graphql, a copy of the shared contract)', () => {
  it('keeps every type and field of the public contract', async () => {
    const contract = parseSdl(readFileSync('docs/api/contract.graphql', 'utf8'));
    const schema = await buildPlintoSchema();
    const missing: string[] = [];
    for (const [name, type] of Object.entries(contract.getTypeMap())) {
      if (name.startsWith('__')) continue;
      const ours = schema.getType(name);
      if (!ours) {
        missing.push(name);
        continue;
      }
      if ('getFields' in type && 'getFields' in ours) {
        const fields = (ours as typeof type).getFields();
        for (const field of Object.keys(type.getFields()))
          if (!(field in fields)) missing.push(`${name}.${field}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
