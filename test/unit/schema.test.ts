import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPlintoSchema, printPlintoSchema } from '../../src/build-schema.js';

describe('the committed schema.graphql', () => {
  it('is exactly what the code builds (run `npm run schema` after changing the schema)', async () => {
    const built = printPlintoSchema(await buildPlintoSchema());
    expect(readFileSync('schema.graphql', 'utf8')).toBe(built);
  });
});
