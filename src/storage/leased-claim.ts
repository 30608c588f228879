import type { EntityManager, EntityName, FilterQuery } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** The columns an outbox table needs to be claimed with leases (mail_outbox, webhook_deliveries). */
export interface LeasedRow {
  id: string;
  lockId?: string | null;
  lockedUntil?: Date | null;
  nextAttemptAt: Date;
}

export interface LeaseOptions {
  now: Date;
  leaseMs: number;
  limit: number;
}

/**
 * Claims up to `limit` due rows (`open` and `nextAttemptAt <= now`, oldest first) for `leaseMs`:
 * their ids, then one update conditional on each row still being open and free (of several
 * replicas racing for a row exactly one wins it), then the rows this claim won, by its lock id.
 * A claim whose holder died expires, and the row is due again for any replica. Three statements
 * per batch, whatever its size. The caller writes each row's outcome conditional on
 * `{ id, lockId }`, so a claim that expired and was taken over is never overwritten.
 */
export async function claimLeased<T extends LeasedRow>(
  em: EntityManager,
  entity: EntityName<T>,
  open: FilterQuery<T>,
  { now, leaseMs, limit }: LeaseOptions,
): Promise<T[]> {
  const free = { $or: [{ lockedUntil: null }, { lockedUntil: { $lt: now } }] };
  const due = await em.find(entity, { ...(open as object), nextAttemptAt: { $lte: now }, ...free } as never, {
    fields: ['id'] as never,
    orderBy: { nextAttemptAt: 'asc' } as never,
    limit,
    disableIdentityMap: true,
  });
  if (due.length === 0) return [];
  const lockId = randomUUID();
  await em.nativeUpdate(
    entity,
    { ...(open as object), id: { $in: due.map((row) => row.id) }, ...free } as never,
    { lockId, lockedUntil: new Date(now.getTime() + leaseMs) } as never,
  );
  return em.find(entity, { lockId } as never, { disableIdentityMap: true }) as Promise<T[]>;
}
