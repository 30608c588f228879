import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityManager } from '@mikro-orm/core';
import { loadConfig } from '../../src/config.js';
import { User } from '../../src/storage/entities/index.js';
import { migrate, openOrm } from '../../src/storage/orm.js';
import type { Orm } from '../../src/storage/orm.js';
import { inTransaction } from '../../src/storage/transaction.js';
import { onUserRowChange, updateUser } from '../../src/storage/user-rows.js';
import { createTestDatabase } from '../helpers/database.js';
import type { Backend, TestDatabase } from '../helpers/database.js';
import { testEnv } from '../helpers/server.js';

/** The one door for users-row writes tells the cache only after the commit, and never for a rollback. */
function useOrm(backend: Backend) {
  const ctx = { told: [] as string[] } as { database: TestDatabase; orm: Orm; told: string[] };
  beforeAll(async () => {
    ctx.database = await createTestDatabase(backend);
    ctx.orm = await openOrm(loadConfig(testEnv(backend, ctx.database.url)).database);
    await migrate(ctx.orm);
    onUserRowChange(ctx.orm.em, async (userId) => {
      ctx.told.push(userId);
    });
  }, 60_000);
  afterAll(async () => {
    await ctx.orm?.close(true);
    await ctx.database?.drop();
  });
  const newUser = async () => {
    const id = randomUUID();
    await ctx.orm.em
      .fork()
      .insert(User, { id, email: `${id}@example.com`, createdAt: new Date(), updatedAt: new Date() });
    return id;
  };
  return { ctx, newUser };
}

describe.each(['sqlite', 'postgresql'] as Backend[])('user-row writes (%s)', (backend) => {
  const { ctx, newUser } = useOrm(backend);
  let orm: Orm;
  const told = ctx.told;

  beforeAll(() => {
    orm = ctx.orm;
  });

  it('invalidates after the commit of the transaction, not at all on rollback, and at once outside one', async () => {
    const id = await newUser();
    told.length = 0;
    await inTransaction(orm.em.fork(), async (tx) => {
      expect(await updateUser(tx, id, {}, { emailVerifiedAt: new Date() })).toBe(1);
      expect(told).toEqual([]); // not yet: a me now could read the old row
    });
    expect(told).toEqual([id]);

    told.length = 0;
    await expect(
      inTransaction(orm.em.fork(), async (tx) => {
        await updateUser(tx, id, {}, { emailVerifiedAt: null });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(told).toEqual([]);

    // Outside a transaction: at once; a conditional write that changed nothing tells nobody.
    told.length = 0;
    expect(
      await updateUser(orm.em.fork(), id, { emailVerifiedAt: null }, { emailVerifiedAt: new Date() }),
    ).toBe(0);
    expect(told).toEqual([]);
    expect(await updateUser(orm.em.fork(), id, {}, { emailVerifiedAt: null })).toBe(1);
    expect(told).toEqual([id]);
  });
});

describe('user-row writes in a nested transaction (postgresql)', () => {
  const { ctx, newUser } = useOrm('postgresql');

  it('waits for the outer commit when the write is in a savepoint', async () => {
    const id = await newUser();
    ctx.told.length = 0;
    await inTransaction(ctx.orm.em.fork(), async (outer) => {
      await inTransaction(outer, async (inner) => {
        await updateUser(inner, id, {}, { emailVerifiedAt: null });
      });
      expect(ctx.told).toEqual([]); // the savepoint is released, the transaction not committed
    });
    expect(ctx.told).toEqual([id]);
  });
});

describe('a nested inTransaction is a savepoint of the outer transaction (postgresql)', () => {
  const { ctx, newUser } = useOrm('postgresql');
  const transactionOf = async (em: EntityManager) =>
    (
      await em
        .getConnection()
        .execute<Array<{ id: string; pid: number }>>(
          'select txid_current()::text as id, pg_backend_pid() as pid',
          [],
          'all',
          em.getTransactionContext(),
        )
    )[0]!;

  it('runs on the outer transaction’s connection and transaction', async () => {
    await inTransaction(ctx.orm.em.fork(), async (outer) => {
      const outside = await transactionOf(outer);
      await inTransaction(outer, async (inner) => {
        expect(await transactionOf(inner)).toEqual(outside);
      });
    });
  });

  it('is undone by the outer rollback, and its own rollback undoes only itself', async () => {
    const kept = await newUser();
    const undone = await newUser();
    const verified = new Date('2026-01-01T00:00:00Z');
    await inTransaction(ctx.orm.em.fork(), async (outer) => {
      await inTransaction(outer, (inner) => updateUser(inner, undone, {}, { emailVerifiedAt: verified }));
      throw new Error('the outer transaction fails');
    }).catch(() => undefined);
    await inTransaction(ctx.orm.em.fork(), async (outer) => {
      await updateUser(outer, kept, {}, { emailVerifiedAt: verified });
      await inTransaction(outer, async (inner) => {
        await updateUser(inner, undone, {}, { emailVerifiedAt: verified });
        throw new Error('the savepoint fails');
      }).catch(() => undefined);
    });
    const read = async (id: string) =>
      (await ctx.orm.em.fork().findOneOrFail(User, { id }, { disableIdentityMap: true })).emailVerifiedAt;
    expect(await read(undone)).toBeNull();
    expect(await read(kept)).toEqual(verified);
  });
});
