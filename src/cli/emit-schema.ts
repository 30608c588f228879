import { writeFileSync } from 'node:fs';
import { buildPlintoSchema, printPlintoSchema } from '../build-schema.js';

const schema = await buildPlintoSchema();
writeFileSync('schema.graphql', printPlintoSchema(schema));
console.log('wrote schema.graphql');
