import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { AuditEvent, User } from '../storage/entities/index.js';
import { inTransaction } from '../storage/transaction.js';
import { requireEmail } from './email.js';
import type { OneTimeTokenService } from './one-time-token.service.js';
import { ADMIN_ROLE } from './roles.js';

export type CreateAdminOutcome =
  | { kind: 'promoted'; userId: string; email: string }
  | { kind: 'already-admin'; userId: string; email: string }
  /** A new user without a password: `setPasswordToken` is a single-use password-reset token. */
  | { kind: 'created'; userId: string; email: string; setPasswordToken: string };

/**
 * `npm run create-admin -- EMAIL`: gives an existing user the `admin` role, or creates the user
 * (no password; the address counts as verified because the operator vouches for it) and returns
 * a single-use set-password token (the password-reset purpose and lifetime). Audited as
 * `roles_changed` with no actor (the operator's shell).
 */
export async function createAdmin(
  em: EntityManager,
  rawEmail: string,
  tokens: OneTimeTokenService,
): Promise<CreateAdminOutcome> {
  const email = requireEmail(rawEmail);
  return inTransaction(em, async (tx) => {
    const existing = await tx.findOne(User, { email });
    if (existing) {
      if (existing.roles.includes(ADMIN_ROLE)) return { kind: 'already-admin', userId: existing.id, email };
      await tx.nativeUpdate(User, { id: existing.id }, { roles: [...existing.roles, ADMIN_ROLE].sort() });
      await tx.insert(AuditEvent, {
        id: randomUUID(),
        kind: 'roles_changed',
        result: 'success',
        userId: existing.id,
        createdAt: new Date(),
      });
      return { kind: 'promoted', userId: existing.id, email };
    }
    const now = new Date();
    const id = randomUUID();
    await tx.insert(User, {
      id,
      email,
      roles: [ADMIN_ROLE],
      emailVerifiedAt: now,
      createdAt: now,
      updatedAt: now,
    });
    await tx.insert(AuditEvent, {
      id: randomUUID(),
      kind: 'roles_changed',
      result: 'success',
      userId: id,
      createdAt: now,
    });
    const setPasswordToken = await tokens.issue(tx, id, 'password-reset');
    return { kind: 'created', userId: id, email, setPasswordToken };
  });
}
