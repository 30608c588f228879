import { RequestContext, TransactionContext } from '@mikro-orm/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Session, User } from '../../src/storage/entities/index.js';
import { migrationsList } from '../../src/storage/migrations/index.js';
import { migrate, openOrm } from '../../src/storage/orm.js';
import { BACKENDS, createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import { bearer, gql, REFRESH, signUpUser } from '../helpers/graphql.js';
import { startServer, testEnv } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';

describe.each(BACKENDS)('storage (%s)', (backend) => {
  const ctx = useServer(backend);

  // A loaded row must not look modified: a spurious change set would write stale values back at
  // the next flush and undo a concurrent conditional update (e.g. disabling a second factor).
  it('sees no changes in freshly loaded rows, dates included', async () => {
    const user = await signUpUser(ctx.server.url);
    const em = ctx.server.app.services.orm.em.fork();
    await em.findOneOrFail(User, user.userId);
    await em.findOneOrFail(Session, user.sessionId);
    em.getUnitOfWork().computeChangeSets();
    expect(
      em
        .getUnitOfWork()
        .getChangeSets()
        .map((c) => c.payload),
    ).toEqual([]);
  });

  it('reads a profile for `me` with the same dates and flags as the ORM entity', async () => {
    const user = await signUpUser(ctx.server.url);
    const em = ctx.server.app.services.orm.em.fork();
    await em.nativeUpdate(
      User,
      { id: user.userId },
      { emailVerifiedAt: new Date('2026-01-02T03:04:05.678Z') },
    );
    const entity = await em.fork().findOneOrFail(User, user.userId);
    const profile = await ctx.server.app.services.users.profile(em.fork(), user.userId);
    expect(profile).toEqual({
      id: entity.id,
      email: entity.email,
      emailVerifiedAt: new Date('2026-01-02T03:04:05.678Z'),
      totpEnabledAt: null,
      createdAt: entity.createdAt,
      roles: [],
    });
    const me = await gql(ctx.server.url, '{ me { emailVerified createdAt } }', {}, bearer(user.accessToken));
    expect(me.body.data?.me).toEqual({ emailVerified: true, createdAt: entity.createdAt.toISOString() });
    expect(await ctx.server.app.services.users.profile(em.fork(), crypto.randomUUID())).toBeNull();
  });

  it('stores emails normalised under a unique index', async () => {
    const user = await signUpUser(ctx.server.url, `  MiXeD.${Date.now()}@Example.COM `);
    const row = await ctx.server.app.services.orm.em.fork().findOneOrFail(User, user.userId);
    expect(row.email).toBe(row.email.trim().toLowerCase());
    const em = ctx.server.app.services.orm.em.fork();
    await expect(
      em.insert(User, {
        id: crypto.randomUUID(),
        email: row.email,
        passwordHash: row.passwordHash,
        createdAt: new Date(),
        updatedAt: new Date(),
      }),
    ).rejects.toThrow();
  });
});

describe('transactions without implicit async context', () => {
  // Transactions pass their EntityManager explicitly (inTransaction), never through MikroORM's
  // AsyncLocalStorage-based contexts, whose propagation cost on every promise on Node 20. Node 24's
  // AsyncLocalStorage has no `enabled` flag, so the test counts entries into the two storages.
  it('runs refresh, password change and MFA enrollment without enabling MikroORM’s context storages', async () => {
    const storages = [TransactionContext, RequestContext] as unknown as Array<{
      storage: Record<'run' | 'enterWith', (...args: unknown[]) => unknown>;
    }>;
    const entered: string[] = [];
    for (const [index, { storage }] of storages.entries()) {
      for (const method of ['run', 'enterWith'] as const) {
        const original = storage[method];
        storage[method] = function (this: unknown, ...args: unknown[]) {
          entered.push(`${index === 0 ? 'TransactionContext' : 'RequestContext'}.${method}`);
          return original.apply(this, args);
        };
      }
    }
    const database = await createTestDatabase('postgresql');
    const server = await startServer(database);
    try {
      const user = await signUpUser(server.url);
      const refreshed = await gql(server.url, REFRESH, { refreshToken: user.refreshToken });
      expect(refreshed.body.data?.refreshSession.__typename).toBe('SignInSuccess');
      const changed = await gql(
        server.url,
        `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { __typename } }`,
        { c: user.password, n: 'another long passphrase 12' },
        bearer(refreshed.body.data?.refreshSession.tokens.accessToken),
      );
      expect(changed.body.data?.changePassword.__typename).toBe('PasswordChanged');
      expect(entered).toEqual([]);
    } finally {
      for (const { storage } of storages) {
        delete (storage as Partial<typeof storage>).run;
        delete (storage as Partial<typeof storage>).enterWith;
      }
      await server.close();
      await database.drop();
    }
  });
});

describe('replicas starting together on one PostgreSQL database', () => {
  let database: TestDatabase | undefined;
  afterAll(async () => {
    await database?.drop();
  });

  it('migrate one after another: one applies every migration, the others find nothing pending', async () => {
    database = await createTestDatabase('postgresql');
    const config = loadConfig(testEnv('postgresql', database.url)).database;
    const orms = await Promise.all([0, 1, 2].map(() => openOrm(config)));
    try {
      // Before the advisory lock, each tried to create mikro_orm_migrations and the tables at
      // once, and all but one failed ("relation already exists").
      const applied = await Promise.all(orms.map((orm) => migrate(orm)));
      const names = migrationsList.map((m) => m.name);
      expect(applied.map((list) => list.length).sort((a, b) => a - b)).toEqual([0, 0, names.length]);
      expect(applied.find((list) => list.length > 0)).toEqual(names);
      const rows: { name: string }[] = await orms[0]!.em
        .getConnection()
        .execute('select name from mikro_orm_migrations');
      expect(rows.map((row) => row.name).sort()).toEqual([...names].sort());
    } finally {
      await Promise.all(orms.map((orm) => orm.close(true)));
    }
  });
});
