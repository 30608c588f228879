import type { EntityManager } from '@mikro-orm/core';
import { Identity, MfaChallenge, OneTimeToken, Passkey, RecoveryCode } from '../storage/entities/index.js';
import { updateUser } from '../storage/user-rows.js';
import type { ClientInfo } from './client-info.js';
import type { SessionService } from './session.service.js';
import type { WebhookEmitter } from '../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../webhooks/webhook-outbox.js';

/**
 * What ends when an account's credential or verification state changes (account-integrity issue).
 * Every method runs on the caller's transaction.
 */
export class CredentialChange {
  constructor(
    private readonly sessions: SessionService,
    private readonly webhooks: WebhookEmitter = NO_WEBHOOKS,
  ) {}

  /**
   * After a verification (any path), a password reset or a password change: no link mailed before
   * it and no second-factor challenge begun before it may still be used. Used tokens stay (the
   * sweeper removes them); unused verification, magic and reset links and open challenges go.
   */
  async endOutstanding(tx: EntityManager, userId: string): Promise<void> {
    // Except changeEmail's undo links: they belong to the old address, and whoever changed the
    // address (a stolen session) could otherwise kill the owner's undo with a reset or change of
    // password from the new mailbox (found by the attack pass, AD-19).
    await tx.nativeDelete(OneTimeToken, {
      user: userId,
      usedAt: null,
      purpose: { $ne: 'email-change-undo' },
    });
    await tx.nativeDelete(MfaChallenge, { user: userId, consumedAt: null });
  }

  /**
   * The first proof of the mailbox on a never-verified account (pre-account hijacking). Whoever
   * set the account up before the address was proven may not be its owner, so nothing they could
   * have set up survives: the password (the owner sets one, with the link's session as step-up),
   * a second factor and its recovery codes, passkeys, linked identities, every session,
   * outstanding links and challenges.
   * Conditional on the account still being unverified, so it runs at most once.
   */
  async claimNeverVerified(
    tx: EntityManager,
    userId: string,
    client: ClientInfo,
    verifiedAt: Date,
  ): Promise<boolean> {
    const claimed = await updateUser(
      tx,
      userId,
      { emailVerifiedAt: null },
      {
        emailVerifiedAt: verifiedAt,
        passwordHash: null,
        totpSecretEncrypted: null,
        totpPendingSecretEncrypted: null,
        totpEnabledAt: null,
        totpLastUsedStep: null,
        updatedAt: verifiedAt,
      },
    );
    if (claimed !== 1) return false;
    await tx.nativeDelete(RecoveryCode, { user: userId });
    // Every other way to sign in the unverified holder may have added: passkeys and linked
    // identities (found by an attack pass: they survived the first mailbox proof). Receivers
    // that track them hear of each removal, as from removePasskey and unlinkIdentity.
    const at = verifiedAt.toISOString();
    const passkeys = await tx.find(Passkey, { user: userId }, { fields: ['id'], disableIdentityMap: true });
    const identities = await tx.find(
      Identity,
      { user: userId },
      { fields: ['id', 'provider'], disableIdentityMap: true },
    );
    await tx.nativeDelete(Passkey, { user: userId });
    await tx.nativeDelete(Identity, { user: userId });
    for (const { id } of passkeys) {
      await this.webhooks.emit(tx, {
        type: 'passkey.removed',
        data: { userId, passkeyId: id, removedAt: at },
      });
    }
    for (const { id, provider } of identities) {
      await this.webhooks.emit(tx, {
        type: 'identity.unlinked',
        data: { userId, provider, identityId: id, unlinkedAt: at },
      });
    }
    await this.sessions.revokeAll(tx, userId, 'account-claimed', { client });
    await this.endOutstanding(tx, userId);
    return true;
  }
}
