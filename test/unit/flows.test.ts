import { MikroORM } from '@mikro-orm/core';
import { isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlintoSchema, printPlintoSchema } from '../../src/build-schema.js';
import { FLOWS, isUnlimited, KEPT_TABLES } from '../../src/flows.js';
import type { FlowEntry } from '../../src/flows.js';
import { SWEPT_TABLES } from '../../src/storage/expired-row-sweeper.js';
import { ormOptions } from '../../src/storage/orm.js';

const flows = FLOWS as Record<string, FlowEntry>;
/** A column after which a row means nothing any more (or a lease that ends): its table must be swept. */
const EXPIRY_COLUMN = /(^|_)(expires|expiry|expired|until)(_|$)|_until$|_expires_at$/;

describe('the flows registry (src/flows.ts)', () => {
  let orm: MikroORM;
  beforeAll(async () => {
    // Metadata only: no connection, no database file.
    orm = await MikroORM.init({ ...ormOptions({ kind: 'sqlite', path: ':memory:' }), connect: false });
  });
  afterAll(async () => {
    await orm.close();
  });

  const tables = () =>
    Object.values(orm.getMetadata().getAll())
      .filter((meta) => !meta.embeddable && !meta.virtual && meta.tableName)
      .map((meta) => ({
        table: meta.tableName,
        columns: meta.props.flatMap((prop) => prop.fieldNames ?? []),
      }));

  it('has an entry, with a rate limit or an explicit unlimited, for every Mutation field', async () => {
    const schema = await buildPlintoSchema();
    const mutation = schema.getMutationType();
    expect(mutation && isObjectType(mutation)).toBe(true);
    const fields = Object.keys(mutation!.getFields()).sort();
    const missing = fields.filter((field) => !(field in flows));
    expect(missing, 'mutations without an entry in src/flows.ts').toEqual([]);
    expect(Object.keys(flows).sort(), 'entries naming no mutation').toEqual(fields);
    const sdl = printPlintoSchema(schema);
    for (const [field, flow] of Object.entries(flows)) {
      const line = sdl
        .split('\n')
        .find((l) => l.trimStart().startsWith(`${field}(`) || l.trim().startsWith(`${field}:`));
      if (isUnlimited(flow.rateLimit)) {
        expect(flow.rateLimit.unlimited.length, `${field}: say why it is unlimited`).toBeGreaterThan(10);
        expect(line, field).not.toContain('@rateLimit');
      } else {
        expect(line, field).toContain(`@rateLimit(limit: ${flow.rateLimit.client.limit}`);
      }
    }
  });

  it('knows every table with an expiry column to the expired-row sweeper', () => {
    const expiring = tables()
      .filter(({ columns }) => columns.some((column) => EXPIRY_COLUMN.test(column)))
      .map(({ table }) => table);
    expect(expiring).toContain('one_time_tokens');
    const unswept = expiring.filter((table) => !(SWEPT_TABLES as readonly string[]).includes(table));
    expect(unswept, 'tables with an expiry column that the sweeper does not know').toEqual([]);
  });

  it('names only real tables, each swept or kept on purpose', () => {
    const known = new Set(tables().map(({ table }) => table));
    const named = new Set(Object.values(flows).flatMap((flow) => flow.leavesRowsIn));
    for (const table of named) {
      expect(known.has(table), `${table} is no table`).toBe(true);
      const swept = (SWEPT_TABLES as readonly string[]).includes(table);
      expect(swept || table in KEPT_TABLES, `${table}: neither swept nor kept on purpose`).toBe(true);
    }
    for (const table of known) {
      const swept = (SWEPT_TABLES as readonly string[]).includes(table);
      expect(swept !== table in KEPT_TABLES, `${table}: swept, or kept with a reason (exactly one)`).toBe(
        true,
      );
    }
  });
});
