import type { EntityManager } from '@mikro-orm/core';
import type { AuthState } from '../context.js';
import { Session } from '../storage/entities/index.js';

/**
 * Step-up ("sudo mode"): sensitive changes need a recent primary authentication of the session
 * (password, passkey, or an emailed link to a verified address), not just a live access token.
 *
 * Every sensitive mutation asks `isRecent` and answers the `StepUpRequired` union member when it
 * is false. "Recent" is the session's `authenticated_at` (its sign-in, or the last `reauthenticate`,
 * the same time as the access token's `auth_time`) within `maxAgeSeconds`.
 */
export class StepUpService {
  constructor(readonly maxAgeSeconds: number) {}

  /** Did this session authenticate (primary factor) within the last `maxAgeSeconds`? */
  async isRecent(em: EntityManager, auth: AuthState): Promise<boolean> {
    const since = new Date(Date.now() - this.maxAgeSeconds * 1000);
    const session = await em.findOne(
      Session,
      {
        id: auth.sessionId,
        user: auth.userId,
        revokedAt: null,
        // A row older than the column has no authenticated_at: its sign-in time stands in.
        $or: [{ authenticatedAt: { $gte: since } }, { authenticatedAt: null, createdAt: { $gte: since } }],
      },
      { fields: ['id'], disableIdentityMap: true },
    );
    return session !== null;
  }
}
