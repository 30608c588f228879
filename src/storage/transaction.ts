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
  // Inside another transaction: a savepoint of it, on its connection. (begin() alone would open a
  // second, independent transaction on another connection: its writes would outlive the outer
  // rollback, and wait on the outer's locks. Found by the attack pass of issue 22.)
  const outerContext = em.isInTransaction() ? em.getTransactionContext() : undefined;
  await tx.begin(outerContext ? { ctx: outerContext } : {});
  const context = tx.getTransactionContext() as object;
  const committed: Array<() => Promise<unknown>> = [];
  afterCommitQueues.set(context, committed);
  let result: T;
  try {
    result = await work(tx);
    // Not tx.commit(): that flushes first, and MikroORM's flush enters an AsyncLocalStorage, which
    // on Node 20 turns promise hooks on for the rest of the process. Code in a transaction writes
    // with native statements only (lint forbids flush), so there is never anything to flush.
    await tx.getConnection('write').commit(tx.getTransactionContext()!);
  } catch (error) {
    await tx.rollback().catch(() => undefined);
    throw error;
  } finally {
    afterCommitQueues.delete(context);
  }
  // Nested in another inTransaction (a savepoint): the work waits for the outer commit.
  const outer = em.isInTransaction()
    ? afterCommitQueues.get(em.getTransactionContext() as object)
    : undefined;
  if (outer) {
    outer.push(...committed);
    return result;
  }
  // In order, before the caller sees the result: the answer to a mutation comes after its effects.
  for (const work of committed) await work().catch(() => undefined);
  return result;
}

/** The work waiting for the commit of each transaction opened by inTransaction (by its transaction context). */
const afterCommitQueues = new WeakMap<object, Array<() => Promise<unknown>>>();

/**
 * Runs `work` once what `em` wrote is committed: after the commit of the inTransaction it is in
 * (never, if that rolls back), or at once outside a transaction. For side effects others must only
 * see once the database has the change (cache invalidation, src/storage/user-rows.ts). Errors of
 * `work` are swallowed: it must handle its own failures.
 */
export async function afterCommit(em: EntityManager, work: () => Promise<unknown>): Promise<void> {
  const context = em.isInTransaction() ? (em.getTransactionContext() as object | undefined) : undefined;
  const queue = context ? afterCommitQueues.get(context) : undefined;
  if (queue) {
    queue.push(work);
    return;
  }
  // Not in a transaction (autocommit: already committed), or in one inTransaction did not open
  // (a migration): at once, which is after the statement and, at worst, before its commit.
  await work().catch(() => undefined);
}

/**
 * Registers `work` to run once what `em` wrote is committed, when `em` is inside a transaction
 * opened by inTransaction, and returns true; returns false (and registers nothing) otherwise, so
 * the caller can tell "after the commit" from "at once" (afterCommit cannot: outside such a
 * transaction it runs the work at once). Never run if the transaction rolls back.
 */
export function onCommit(em: EntityManager, work: () => Promise<unknown>): boolean {
  const context = em.isInTransaction() ? (em.getTransactionContext() as object | undefined) : undefined;
  const queue = context ? afterCommitQueues.get(context) : undefined;
  if (!queue) return false;
  queue.push(work);
  return true;
}
