import { inTransaction } from '../storage/transaction.js';
import type { WebhookEmitter } from '../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../webhooks/webhook-outbox.js';
import type { EntityManager } from '@mikro-orm/core';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { SecurityEvents } from '../observability/security-events.js';
import type { PasswordService } from '../security/password.service.js';
import { sha256Hex } from '../security/crypto.js';
import { OneTimeToken, User } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import { requireEmail } from './email.js';
import type { OneTimeTokenService } from './one-time-token.service.js';
import type { CredentialChange } from './credential-change.js';
import type { SessionService } from './session.service.js';
import { updateUser } from '../storage/user-rows.js';
import { securityNotice } from '../mail/mail-jobs.js';

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
    private readonly hooks: PasswordResetHooks,
    private readonly credentialChange: CredentialChange,
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
    // Cheap look before the costly hash, so that junk tokens cost no hash; the atomic use is below.
    const email = await this.looksUsable(em, token);
    if (email === null) return this.invalid(client);
    const check = await this.passwords.checkNew(newPassword, { email });
    // A rejected password does not use up the link: the user may try another one.
    if (!check.ok) return { kind: 'password-rejected', reasons: check.reasons };
    const passwordHash = await this.passwords.hash(check.password);

    const outcome = await inTransaction(em, async (tx) => {
      const userId = await this.tokens.consume(tx, token, 'password-reset');
      const user = userId ? await tx.findOne(User, { id: userId }) : null;
      // A link mailed before the account was disabled sets no password on it (same answer as a bad link).
      if (!user || user.disabledAt !== null) return null;
      const now = new Date();
      // Following the link proves the mailbox: on a never-verified account it is the first proof,
      // and nothing its unverified holder set up (a second factor, codes, sessions) survives it.
      const claimed = await this.credentialChange.claimNeverVerified(tx, user.id, client, now);
      await updateUser(tx, user.id, {}, { passwordHash, updatedAt: now });
      // No link mailed and no second-factor challenge begun before the reset outlives it.
      await this.credentialChange.endOutstanding(tx, user.id);
      await this.webhooks.emit(tx, {
        type: 'password.reset',
        data: { userId: user.id, resetAt: now.toISOString() },
      });
      if (claimed) {
        await this.webhooks.emit(tx, {
          type: 'user.email_verified',
          data: { userId: user.id, email: user.email, verifiedAt: now.toISOString() },
        });
      }
      // Whoever held a session may be the reason for the reset: every refresh and access token dies.
      const signedOutSessions = await this.sessions.revokeAll(tx, user.id, 'password-reset', { client });
      // The owner hears of it with when and from which device (one mail, in this transaction).
      await this.outbox.enqueue(tx, securityNotice(user.id, 'password-reset', client, now));
      return { user, signedOutSessions };
    });
    if (!outcome) return this.invalid(client);

    const { user, signedOutSessions } = outcome;
    await this.hooks.onPasswordReset?.(user.email);
    await this.events.record({ kind: 'password_reset', result: 'success', userId: user.id, client });
    return { kind: 'password-changed', signedOutSessions };
  }

  /** The address of the link's account when the link looks usable, else null. */
  private async looksUsable(em: EntityManager, token: string): Promise<string | null> {
    if (token.length === 0 || token.length > 256) return null;
    const row = await em.findOne(
      OneTimeToken,
      {
        tokenHash: sha256Hex(token),
        purpose: 'password-reset',
        usedAt: null,
        expiresAt: { $gt: new Date() },
      },
      { fields: ['tokenHash', 'user.email'], populate: ['user'], disableIdentityMap: true },
    );
    return row ? row.user.email : null;
  }

  private async invalid(client: ClientInfo): Promise<ResetPasswordOutcome> {
    await this.events.record({ kind: 'password_reset', result: 'failure', client });
    return { kind: 'invalid-token' };
  }
}
