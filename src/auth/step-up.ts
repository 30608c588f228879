import type { EntityManager } from '@mikro-orm/core';
import type { AuthState } from '../context.js';
import { Session } from '../storage/entities/index.js';

/**
 * Step-up ("sudo mode"): sensitive changes need a recent primary authentication of the session
 * (password, passkey, or an emailed link to a verified address), not just a live access token.
 *
 * Every sensitive mutation asks `isRecent` and answers the `StepUpRequired` union member when it
 * is false. The account-integrity issue owns how "recent" is measured (a per-session
 * authentication time that `reauthenticate` refreshes); callers only depend on this interface.
 */
export class StepUpService {
  constructor(readonly maxAgeSeconds: number) {}

  /** Did this session authenticate (primary factor) within the last `maxAgeSeconds`? */
  async isRecent(em: EntityManager, auth: AuthState): Promise<boolean> {
    const since = new Date(Date.now() - this.maxAgeSeconds * 1000);
    const session = await em.findOne(
      Session,
      { id: auth.sessionId, user: auth.userId, revokedAt: null, createdAt: { $gte: since } },
      { fields: ['id'] },
    );
    return session !== null;
  }
}
