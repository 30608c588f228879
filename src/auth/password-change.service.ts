import { inTransaction } from '../storage/transaction.js';
import type { EntityManager } from '@mikro-orm/core';
import type { AuthState } from '../context.js';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { SecurityEvents } from '../observability/security-events.js';
import type { PasswordService } from '../security/password.service.js';
import { checkPasswordPolicy, MAX_PASSWORD_INPUT_BYTES } from '../security/password-policy.js';
import { User } from '../storage/entities/index.js';
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

export class PasswordChangeService {
  constructor(
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly tokens: OneTimeTokenService,
    private readonly outbox: MailOutbox,
    private readonly events: SecurityEvents,
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
    // A stolen access token alone must not be enough to take the account: the current password is required.
    const verified =
      user && Buffer.byteLength(input.currentPassword, 'utf8') <= MAX_PASSWORD_INPUT_BYTES
        ? await this.passwords.verify(input.currentPassword, user.passwordHash)
        : { ok: false };
    if (!user || !verified.ok) {
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
      const updated = await tx.nativeUpdate(
        User,
        { id: user.id, passwordHash: user.passwordHash },
        { passwordHash, updatedAt: new Date() },
      );
      if (updated !== 1) return null;
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
}
