import type { EntityData, EntityManager, FilterQuery } from '@mikro-orm/core';
import { User } from './entities/index.js';
import { afterCommit } from './transaction.js';

/**
 * The one door for changes to existing `users` rows (lint forbids nativeUpdate/nativeDelete on
 * User, and `update users` / `delete from users` in SQL, everywhere else).
 *
 * Why: `me` answers from a cached profile (UserService, one Redis round trip with the session's
 * liveness, no SQL). That is only right if every change of the row drops the cached copy, on every
 * replica, before the change's mutation answers. Each function here writes, then, after the commit
 * of the surrounding inTransaction (or at once outside one), tells the listener the app registered
 * (services.ts: the shared cache's invalidateUser). A new writer of the user row (admin update,
 * changeEmail, passkeys…) calls updateUser/deleteUser, or userRowChanged after its own SQL.
 * New rows (sign-up, import) need nothing: nothing can be cached for a user that did not exist.
 */
type UserRowListener = (userId: string) => Promise<unknown>;

/**
 * Per ORM (its configuration, shared by every fork). A command-line tool that writes users rows with
 * an ORM of its own registers one too (src/cli/shared-profile-cache.ts), else the servers' cached
 * profiles outlive its change.
 */
const listeners = new WeakMap<object, UserRowListener>();

export function onUserRowChange(em: EntityManager, listener: UserRowListener): void {
  listeners.set(em.config, listener);
}

/**
 * Updates the user's row (`where` narrows it further: conditional writes such as compare-and-set
 * on a hash), and drops the cached profile after the commit. The number of rows changed.
 */
export async function updateUser(
  em: EntityManager,
  userId: string,
  where: FilterQuery<User>,
  data: EntityData<User>,
): Promise<number> {
  // eslint-disable-next-line no-restricted-syntax -- the one door (see above)
  const changed = await em.nativeUpdate(
    User,
    { ...(where as object), id: userId } as FilterQuery<User>,
    data,
  );
  if (changed > 0) await userRowChanged(em, userId);
  return changed;
}

/** Deletes the user's row (sessions, tokens and codes go with it: foreign keys cascade). */
export async function deleteUser(em: EntityManager, userId: string): Promise<number> {
  // eslint-disable-next-line no-restricted-syntax -- the one door (see above)
  const deleted = await em.nativeDelete(User, { id: userId });
  if (deleted > 0) await userRowChanged(em, userId);
  return deleted;
}

/** For a write made with SQL of its own: call it right after the statement, inside the same transaction. */
export async function userRowChanged(em: EntityManager, userId: string): Promise<void> {
  const listener = listeners.get(em.config);
  if (listener) await afterCommit(em, () => listener(userId));
}
