import type { EntityManager } from '@mikro-orm/core';

/**
 * Runs `work` in one database transaction on a fork of `em`: committed if it returns, rolled
 * back if it throws. The same as `em.transactional`, minus its AsyncLocalStorage context: code
 * inside passes the transaction's EntityManager explicitly (`tx`), never implicitly, so nothing
 * depends on async context propagation (which costs on every promise on Node 20).
 */
export async function inTransaction<T>(
  em: EntityManager,
  work: (tx: EntityManager) => Promise<T>,
): Promise<T> {
  const tx = em.fork();
  await tx.begin();
  try {
    const result = await work(tx);
    // Not tx.commit(): that flushes first, and MikroORM's flush enters an AsyncLocalStorage, which
    // on Node 20 turns promise hooks on for the rest of the process. Code in a transaction writes
    // with native statements only (lint forbids flush), so there is never anything to flush.
    await tx.getConnection('write').commit(tx.getTransactionContext()!);
    return result;
  } catch (error) {
    await tx.rollback().catch(() => undefined);
    throw error;
  }
}
