import type { EntityManager } from '@mikro-orm/core';
import type { AbstractSqlConnection } from '@mikro-orm/postgresql';
import type pg from 'pg';

/**
 * PostgreSQL: one statement with bound parameters, on a connection of the ORM's pool, straight
 * through `pg`. For the hottest statement only (the refresh rotation): MikroORM's execute() inlines
 * every parameter into the SQL text and runs it through knex's raw builder and runner, which cost
 * about a tenth of a refresh's JavaScript (issue 24, refresh profile). The parameters travel bound
 * (the extended protocol, unnamed: nothing stays prepared on the server, so PgBouncer in
 * transaction mode is fine). The pool is the ORM's own, so its limits, its acquire timeout and its
 * writable-primary check (requireWritablePrimary) apply, and a connection that failed is discarded
 * by the pool as usual. Not inside a transaction: for a statement that is atomic on its own.
 */
export async function pooledQuery<T extends object>(
  em: EntityManager,
  text: string,
  values: readonly unknown[],
): Promise<T[]> {
  const client = (em.getConnection() as AbstractSqlConnection).getKnex().client as {
    acquireConnection(): Promise<pg.Client>;
    releaseConnection(connection: pg.Client): Promise<unknown>;
  };
  const connection = await client.acquireConnection();
  try {
    const result = await connection.query<T>(text, values as unknown[]);
    return result.rows;
  } finally {
    await client.releaseConnection(connection);
  }
}
