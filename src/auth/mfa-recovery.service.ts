import type { EntityManager } from '@mikro-orm/core';
import type { AuthState } from '../context.js';
import type { SecurityNoticeEvent } from '../mail/mail-jobs.js';
import { securityNotice } from '../mail/mail-jobs.js';
import type { MailOutbox } from '../mail/mail-outbox.js';
import { RecoveryCode, User } from '../storage/entities/index.js';
import { inTransaction } from '../storage/transaction.js';
import { updateUser } from '../storage/user-rows.js';
import type { ClientInfo } from './client-info.js';
import { requireEmail } from './email.js';
import type { OneTimeTokenService } from './one-time-token.service.js';

/**
 * Lost second factor (authenticator and recovery codes both gone): an emailed link starts a
 * waiting period (MFA_RECOVERY_DELAY_SECONDS, default 72 h) with a mail; any signed-in session
 * of the owner can cancel it; once it is over, the next sign-in removes the factor (and the
 * owner is mailed). Whoever holds only the mailbox (and the password) must wait in plain view
 * of the owner, who hears of it at once.
 */
export class MfaRecoveryService {
  constructor(
    private readonly tokens: OneTimeTokenService,
    private readonly outbox: MailOutbox,
    private readonly delaySeconds: number,
  ) {}

  /** Always true, and the same work for every address (one outbox insert): enumeration-safe. */
  async request(em: EntityManager, rawEmail: string): Promise<true> {
    await this.outbox.enqueue(em, { kind: 'mfa-recovery', email: requireEmail(rawEmail) });
    return true;
  }

  /** Uses the emailed link: the waiting period starts (an earlier one, if any, is kept). */
  async start(em: EntityManager, token: string, client: ClientInfo): Promise<Date | null> {
    return inTransaction(em, async (tx) => {
      const userId = await this.tokens.consume(tx, token, 'mfa-recovery');
      if (!userId) return null;
      const now = new Date();
      const dueAt = new Date(now.getTime() + this.delaySeconds * 1000);
      const started = await updateUser(
        tx,
        userId,
        { totpEnabledAt: { $ne: null }, mfaRecoveryDueAt: null },
        { mfaRecoveryDueAt: dueAt },
      );
      const user = await tx.findOne(
        User,
        { id: userId },
        { fields: ['totpEnabledAt', 'mfaRecoveryDueAt'], disableIdentityMap: true },
      );
      if (!user?.totpEnabledAt || !user.mfaRecoveryDueAt) return null;
      if (started === 1) {
        await this.notify(tx, userId, 'mfa-recovery-started', client, now, dueAt.toISOString());
      }
      return user.mfaRecoveryDueAt;
    });
  }

  /** Any signed-in session of the owner: the waiting recovery ends, the factor stays. */
  async cancel(em: EntityManager, auth: AuthState, client: ClientInfo): Promise<boolean> {
    return inTransaction(em, async (tx) => {
      const cancelled = await updateUser(
        tx,
        auth.userId,
        { mfaRecoveryDueAt: { $ne: null } },
        { mfaRecoveryDueAt: null },
      );
      if (cancelled !== 1) return false;
      await this.notify(tx, auth.userId, 'mfa-recovery-cancelled', client, new Date());
      return true;
    });
  }

  /**
   * Called by the sign-in completion before it asks for the second factor: when the waiting
   * period is over, the factor and its recovery codes are removed (one conditional update, so a
   * cancel racing it wins or loses as a whole) and the owner is mailed.
   */
  async completeIfDue(em: EntityManager, userId: string, client: ClientInfo): Promise<boolean> {
    return inTransaction(em, async (tx) => {
      const now = new Date();
      const removed = await updateUser(
        tx,
        userId,
        { mfaRecoveryDueAt: { $lte: now }, totpEnabledAt: { $ne: null } },
        {
          totpSecretEncrypted: null,
          totpPendingSecretEncrypted: null,
          totpEnabledAt: null,
          totpLastUsedStep: null,
          mfaRecoveryDueAt: null,
          factorFailures: 0,
          factorFailureBase: 0,
          updatedAt: now,
        },
      );
      if (removed !== 1) return false;
      await tx.nativeDelete(RecoveryCode, { user: userId });
      await this.notify(tx, userId, 'mfa-recovery-completed', client, now);
      return true;
    });
  }

  private async notify(
    em: EntityManager,
    userId: string,
    event: SecurityNoticeEvent,
    client: ClientInfo,
    at: Date,
    detail?: string,
  ): Promise<void> {
    await this.outbox.enqueue(em, securityNotice(userId, event, client, at, detail));
  }
}
