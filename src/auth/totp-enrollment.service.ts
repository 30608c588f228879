import { inTransaction } from '../storage/transaction.js';
import type { WebhookEmitter } from '../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../webhooks/webhook-outbox.js';
import type { EntityManager } from '@mikro-orm/core';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { SecurityNoticeEvent } from '../mail/mail-jobs.js';
import { securityNotice } from '../mail/mail-jobs.js';
import type { SecurityEvents } from '../observability/security-events.js';
import type { SecretBox } from '../security/crypto.js';
import type { Totp } from '../security/totp.js';
import { RecoveryCode, User } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import { replaceRecoveryCodes } from './recovery-codes.js';
import type { SecondFactorService } from './second-factor.service.js';
import { TOTP_SEAL_PURPOSE } from './second-factor.service.js';
import { updateUser } from '../storage/user-rows.js';

export type BeginEnrollmentOutcome =
  { kind: 'started'; secret: string; otpauthUri: string } | { kind: 'already-enabled' };

export type RecoveryCodesOutcome = { kind: 'codes'; codes: string[] } | { kind: 'invalid-code' };

/** Turning TOTP on and off, and the recovery codes that come with it. */
export class TotpEnrollmentService {
  constructor(
    private readonly box: SecretBox,
    private readonly totp: Totp,
    private readonly secondFactor: SecondFactorService,
    private readonly events: SecurityEvents,
    private readonly outbox: MailOutbox,
    private readonly webhooks: WebhookEmitter = NO_WEBHOOKS,
  ) {}

  /** A new pending secret; nothing changes for sign-in until it is confirmed with a code. */
  async begin(em: EntityManager, userId: string): Promise<BeginEnrollmentOutcome> {
    const user = await this.loadUser(em, userId);
    // Replacing an active authenticator needs the old factor: disable (with a code) first.
    if (user.totpEnabledAt) return { kind: 'already-enabled' };
    const secret = this.totp.newSecret();
    // Encrypted at rest with AUTH_SECRET: a database dump alone cannot produce codes.
    const sealed = this.box.seal(TOTP_SEAL_PURPOSE, secret);
    await updateUser(
      em,
      userId,
      { totpEnabledAt: null },
      { totpPendingSecretEncrypted: sealed, updatedAt: new Date() },
    );
    return { kind: 'started', secret, otpauthUri: this.totp.uri(secret, user.email) };
  }

  /** Proves the app holds the pending secret, turns TOTP on and hands out ten recovery codes. */
  async confirm(
    em: EntityManager,
    userId: string,
    code: string,
    client: ClientInfo,
  ): Promise<RecoveryCodesOutcome> {
    const user = await this.loadUser(em, userId);
    const pending = user.totpPendingSecretEncrypted;
    if (user.totpEnabledAt || !pending) return this.confirmRefused(userId, client);
    const step = this.totp.matchStep(this.box.open(TOTP_SEAL_PURPOSE, pending), code, null);
    if (step === null) return this.confirmRefused(userId, client);
    const codes = await inTransaction(em, async (tx) => {
      const now = new Date();
      // Conditional on the pending secret we checked: a concurrent begin or confirm is not mixed in.
      const won = await updateUser(
        tx,
        userId,
        { totpPendingSecretEncrypted: pending, totpEnabledAt: null },
        {
          totpSecretEncrypted: pending,
          totpPendingSecretEncrypted: null,
          totpEnabledAt: now,
          // The confirming code is spent: it cannot be replayed to finish a sign-in.
          totpLastUsedStep: step,
          updatedAt: now,
        },
      );
      if (won !== 1) return null;
      await this.webhooks.emit(tx, {
        type: 'mfa.enabled',
        data: { userId, method: 'totp', enabledAt: now.toISOString() },
      });
      const fresh = await replaceRecoveryCodes(tx, this.box, userId);
      await this.notify(tx, userId, 'mfa-enabled', client, now);
      return fresh;
    });
    if (!codes) return this.confirmRefused(userId, client);
    await this.events.record({ kind: 'mfa_enabled', result: 'success', userId, client });
    return { kind: 'codes', codes };
  }

  /** Needs a current code (TOTP or recovery): a stolen access token alone cannot remove the factor. */
  async disable(em: EntityManager, userId: string, code: string, client: ClientInfo): Promise<boolean> {
    const user = await this.loadUser(em, userId);
    const sealed = user.totpSecretEncrypted;
    if (!user.totpEnabledAt || !sealed) return false;
    const check = await this.secondFactor.verify(em, user, code, client);
    if (check.kind === 'invalid' || check.kind === 'locked') {
      await this.events.record({ kind: 'mfa_disabled', result: 'failure', userId, client });
      return false;
    }
    const disabled = await inTransaction(em, async (tx) => {
      const now = new Date();
      const won = await updateUser(
        tx,
        userId,
        { totpSecretEncrypted: sealed },
        {
          totpSecretEncrypted: null,
          totpPendingSecretEncrypted: null,
          totpEnabledAt: null,
          totpLastUsedStep: null,
          mfaRecoveryDueAt: null,
          updatedAt: now,
        },
      );
      if (won !== 1) return false;
      await tx.nativeDelete(RecoveryCode, { user: userId });
      await this.notify(tx, userId, 'mfa-disabled', client, now);
      await this.webhooks.emit(tx, {
        type: 'mfa.disabled',
        data: { userId, method: 'totp', disabledAt: now.toISOString() },
      });
      return true;
    });
    if (disabled) await this.events.record({ kind: 'mfa_disabled', result: 'success', userId, client });
    return disabled;
  }

  /** Ten new codes; every earlier code, used or not, stops working. */
  async regenerateRecoveryCodes(
    em: EntityManager,
    userId: string,
    code: string,
    client: ClientInfo,
  ): Promise<RecoveryCodesOutcome> {
    const user = await this.loadUser(em, userId);
    if (!user.totpEnabledAt) return { kind: 'invalid-code' };
    const check = await this.secondFactor.verify(em, user, code, client);
    if (check.kind === 'invalid' || check.kind === 'locked') {
      await this.events.record({ kind: 'mfa', result: 'failure', userId, client });
      return { kind: 'invalid-code' };
    }
    const codes = await inTransaction(em, async (tx) => {
      const fresh = await replaceRecoveryCodes(tx, this.box, userId);
      await this.notify(tx, userId, 'recovery-codes-regenerated', client, new Date());
      return fresh;
    });
    return { kind: 'codes', codes };
  }

  /**
   * A detached snapshot: every write here is a conditional native update, and the unit of work
   * must not write the row back afterwards (on SQLite a loaded User always looks dirty, and the
   * flush at the end of a transaction would undo the update).
   */
  private loadUser(em: EntityManager, userId: string): Promise<User> {
    return em.findOneOrFail(User, { id: userId }, { disableIdentityMap: true });
  }

  /** The owner hears of every change to the second factor (security-notice mail, same transaction). */
  private async notify(
    em: EntityManager,
    userId: string,
    event: SecurityNoticeEvent,
    client: ClientInfo,
    at: Date,
  ): Promise<void> {
    await this.outbox.enqueue(em, securityNotice(userId, event, client, at));
  }

  private async confirmRefused(userId: string, client: ClientInfo): Promise<RecoveryCodesOutcome> {
    await this.events.record({ kind: 'mfa_enabled', result: 'failure', userId, client });
    return { kind: 'invalid-code' };
  }
}
