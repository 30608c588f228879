import { inTransaction } from '../storage/transaction.js';
import type { WebhookEmitter } from '../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../webhooks/webhook-outbox.js';
import type { EntityManager } from '@mikro-orm/core';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { SecurityEvents } from '../observability/security-events.js';
import type { PasswordService } from '../security/password.service.js';
import { checkPasswordPolicy } from '../security/password-policy.js';
import { sha256Hex } from '../security/crypto.js';
import { OneTimeToken, User } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import { requireEmail } from './email.js';
import type { OneTimeTokenService } from './one-time-token.service.js';
import type { SessionService } from './session.service.js';

export type ResetPasswordOutcome =
  | { kind: 'password-changed'; signedOutSessions: number }
  | { kind: 'invalid-token' }
  | { kind: 'password-rejected'; reasons: string[] };

export interface PasswordResetHooks {
  /**
   * Called after a successful reset with the account's email. The sign-in failure counter
   * (LoginFailureCounter.clear) belongs here: the owner just proved the mailbox.
   */
  onPasswordReset?: (email: string) => Promise<void> | void;
}

export class PasswordResetService {
  constructor(
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly tokens: OneTimeTokenService,
    private readonly outbox: MailOutbox,
    private readonly events: SecurityEvents,
    private readonly hooks: PasswordResetHooks = {},
    private readonly webhooks: WebhookEmitter = NO_WEBHOOKS,
  ) {}

  /**
   * Always true. Unknown addresses get no mail (nothing is sent to an address with no account).
   * The request only records a job: the lookup happens off the request, so both cost the same.
   */
  async request(em: EntityManager, rawEmail: string): Promise<true> {
    await this.outbox.enqueue(em, { kind: 'password-reset', email: requireEmail(rawEmail) });
    return true;
  }

  /** Sets a new password, signs out every session, and does not sign in: the user signs in anew. */
  async reset(
    em: EntityManager,
    token: string,
    newPassword: string,
    client: ClientInfo,
  ): Promise<ResetPasswordOutcome> {
    const check = checkPasswordPolicy(newPassword, this.passwords.scheme);
    // A rejected password does not use up the link: the user may try another one.
    if (!check.ok) return { kind: 'password-rejected', reasons: check.reasons };
    // Cheap look before the costly hash, so that junk tokens cost no hash; the atomic use is below.
    if (!(await this.looksUsable(em, token))) return this.invalid(client);
    const passwordHash = await this.passwords.hash(check.password);

    const outcome = await inTransaction(em, async (tx) => {
      const userId = await this.tokens.consume(tx, token, 'password-reset');
      const user = userId ? await tx.findOne(User, { id: userId }) : null;
      if (!user) return null;
      const now = new Date();
      await tx.nativeUpdate(
        User,
        { id: user.id },
        // Following the link proves the mailbox: this also ends an unverified (possibly pre-hijacked) state.
        { passwordHash, updatedAt: now, emailVerifiedAt: user.emailVerifiedAt ?? now },
      );
      await this.tokens.revokeOutstanding(tx, user.id, ['password-reset', 'magic-link']);
      await this.webhooks.emit(tx, {
        type: 'password.reset',
        data: { userId: user.id, resetAt: now.toISOString() },
      });
      if (user.emailVerifiedAt === null) {
        await this.webhooks.emit(tx, {
          type: 'user.email_verified',
          data: { userId: user.id, email: user.email, verifiedAt: now.toISOString() },
        });
      }
      // Whoever held a session may be the reason for the reset: every refresh and access token dies.
      const signedOutSessions = await this.sessions.revokeAll(tx, user.id, 'password-reset', { client });
      return { user, signedOutSessions };
    });
    if (!outcome) return this.invalid(client);

    const { user, signedOutSessions } = outcome;
    await this.hooks.onPasswordReset?.(user.email);
    await this.outbox.enqueue(em, { kind: 'password-reset-done', userId: user.id });
    await this.events.record({ kind: 'password_reset', result: 'success', userId: user.id, client });
    return { kind: 'password-changed', signedOutSessions };
  }

  private async looksUsable(em: EntityManager, token: string): Promise<boolean> {
    if (token.length === 0 || token.length > 256) return false;
    const row = await em.findOne(
      OneTimeToken,
      {
        tokenHash: sha256Hex(token),
        purpose: 'password-reset',
        usedAt: null,
        expiresAt: { $gt: new Date() },
      },
      { fields: ['tokenHash'], disableIdentityMap: true },
    );
    return row !== null;
  }

  private async invalid(client: ClientInfo): Promise<ResetPasswordOutcome> {
    await this.events.record({ kind: 'password_reset', result: 'failure', client });
    return { kind: 'invalid-token' };
  }
}
