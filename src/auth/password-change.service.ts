import { inTransaction } from '../storage/transaction.js';
import type { WebhookEmitter } from '../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../webhooks/webhook-outbox.js';
import type { EntityManager } from '@mikro-orm/core';
import type { AuthState } from '../context.js';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { SecurityEvents } from '../observability/security-events.js';
import type { PasswordService } from '../security/password.service.js';
import { checkPasswordPolicy, MAX_PASSWORD_INPUT_BYTES } from '../security/password-policy.js';
import { Session, User } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import type { OneTimeTokenService } from './one-time-token.service.js';
import type { SessionService } from './session.service.js';

export type ChangePasswordOutcome =
  | { kind: 'password-changed'; signedOutSessions: number }
  | { kind: 'invalid-credentials' }
  | { kind: 'password-rejected'; reasons: string[] };

export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
  signOutOtherSessions: boolean;
}

/**
 * May this session give a password to an account that has none? There is no current password to
 * ask for, and a stolen access token must still not be enough to take the account.
 * STEP-UP HOOK: the account-integrity issue replaces the default with a real step-up check.
 */
export type SetPasswordGuard = (em: EntityManager, auth: AuthState) => Promise<boolean>;

/** Until then: only a session made in the last five minutes (the user has just proven who they are). */
export const SET_PASSWORD_SESSION_MAX_AGE_SECONDS = 300;
const recentSessionOnly: SetPasswordGuard = async (em, auth) => {
  const since = new Date(Date.now() - SET_PASSWORD_SESSION_MAX_AGE_SECONDS * 1000);
  const session = await em.findOne(
    Session,
    { id: auth.sessionId, user: auth.userId, revokedAt: null, createdAt: { $gte: since } },
    { fields: ['id'] },
  );
  return session !== null;
};

export class PasswordChangeService {
  constructor(
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly tokens: OneTimeTokenService,
    private readonly outbox: MailOutbox,
    private readonly events: SecurityEvents,
    private readonly maySetPassword: SetPasswordGuard = recentSessionOnly,
    private readonly webhooks: WebhookEmitter = NO_WEBHOOKS,
  ) {}

  async change(
    em: EntityManager,
    auth: AuthState,
    input: ChangePasswordInput,
    client: ClientInfo,
  ): Promise<ChangePasswordOutcome> {
    const check = checkPasswordPolicy(input.newPassword, this.passwords.scheme);
    if (!check.ok) return { kind: 'password-rejected', reasons: check.reasons };
    const user = await em.findOne(User, { id: auth.userId });
    if (!user || !(await this.currentProofHolds(em, auth, user, input.currentPassword))) {
      await this.events.record({
        kind: 'password_changed',
        result: 'failure',
        userId: auth.userId,
        sessionId: auth.sessionId,
        client,
      });
      return { kind: 'invalid-credentials' };
    }
    const passwordHash = await this.passwords.hash(check.password);
    const signedOutSessions = await inTransaction(em, async (tx) => {
      // Conditional on the hash just verified: of two concurrent changes only one applies.
      const now = new Date();
      const updated = await tx.nativeUpdate(
        User,
        { id: user.id, passwordHash: user.passwordHash },
        { passwordHash, updatedAt: now },
      );
      if (updated !== 1) return null;
      await this.webhooks.emit(tx, {
        type: 'password.changed',
        data: { userId: user.id, changedAt: now.toISOString(), firstPassword: user.passwordHash === null },
      });
      await this.tokens.revokeOutstanding(tx, user.id, ['password-reset', 'magic-link']);
      return input.signOutOtherSessions
        ? this.sessions.revokeAll(tx, user.id, 'password-changed', {
            exceptSessionId: auth.sessionId,
            client,
          })
        : 0;
    });
    if (signedOutSessions === null) return { kind: 'invalid-credentials' };
    await this.outbox.enqueue(em, { kind: 'password-changed', userId: user.id });
    await this.events.record({
      kind: 'password_changed',
      result: 'success',
      userId: user.id,
      sessionId: auth.sessionId,
      client,
    });
    return { kind: 'password-changed', signedOutSessions };
  }

  /**
   * A stolen access token alone must not be enough to take the account: the current password is
   * required; an account without one ("set a password") needs the step-up guard instead.
   */
  private async currentProofHolds(
    em: EntityManager,
    auth: AuthState,
    user: User,
    currentPassword: string,
  ): Promise<boolean> {
    if (user.passwordHash === null) return this.maySetPassword(em, auth);
    if (Buffer.byteLength(currentPassword, 'utf8') > MAX_PASSWORD_INPUT_BYTES) return false;
    return (await this.passwords.verify(currentPassword, user.passwordHash)).ok;
  }
}
