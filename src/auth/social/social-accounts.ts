import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { OAuthProviderConfig } from '../../config/oauth-providers.js';
import type { MailOutbox } from '../../mail/mail-outbox.js';
import type { SecurityEvents } from '../../observability/security-events.js';
import { Identity, User } from '../../storage/entities/index.js';
import { inTransaction } from '../../storage/transaction.js';
import type { ClientInfo } from '../client-info.js';
import type { CredentialChange } from '../credential-change.js';
import type { SessionService } from '../session.service.js';
import type { SignInProof } from '../sign-in/sign-in-method.js';
import type { ProvenIdentity } from './social-providers.js';
import type { WebhookEmitter } from '../../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../../webhooks/webhook-outbox.js';
import { securityNotice } from '../../mail/mail-jobs.js';

/** RFC 8176 has no value for "a federated provider proved it"; `fed` is this API's (documented in README). */
export const SOCIAL_AMR = 'fed';

export type SocialRefusal =
  | { kind: 'invalid-token'; audit: 'failure'; accountId?: string | null }
  | { kind: 'identity-link-required'; audit: 'rejected'; accountId: string }
  /** verify-first: an unproven email that has an account answers like a new one (EmailNotVerified). */
  | { kind: 'unproven-email'; audit: 'rejected'; accountId: string }
  | { kind: 'email-required'; audit: 'rejected' };

export type LinkOutcome = { kind: 'linked' } | { kind: 'identity-in-use' };

/**
 * Who a proven identity is at Plinto. By (provider, subject) only, never by email alone; a new
 * identity follows the linking rules of issue 20:
 * - no account with that email: a new one, without a password (email verified only when the
 *   provider says so and is trusted with emails);
 * - a verified account with that email and a trusted, verified email: linked, the owner is told;
 * - an unverified account with that email and a trusted, verified email: the mailbox owner has just
 *   proven the mailbox, and whoever registered the account never did, so the account is handed to
 *   them clean: verified, without the unproven password, second factor, identities or sessions;
 * - otherwise IdentityLinkRequired: the owner signs in as usual and links from the account page.
 */
export class SocialAccounts {
  constructor(
    private readonly sessions: SessionService,
    private readonly mailOutbox: MailOutbox,
    private readonly events: SecurityEvents,
    private readonly credentialChange: CredentialChange,
    /**
     * SIGNUP_MODE=verify-first, the enumeration-safe mode: an email the provider did not prove (or
     * is not trusted with) that has an account answers EmailNotVerified, as a new account with it
     * does, so an identity carrying someone's address cannot tell whether that address has an
     * account. (`immediate` answers IdentityLinkRequired: signUp says EmailTaken there anyway.)
     */
    private readonly enumerationSafe = false,
    private readonly webhooks: WebhookEmitter = NO_WEBHOOKS,
  ) {}

  async resolve(
    em: EntityManager,
    provider: OAuthProviderConfig,
    proven: ProvenIdentity,
    client: ClientInfo,
  ): Promise<SignInProof | SocialRefusal> {
    const now = new Date();
    const known = await em.findOne(
      Identity,
      { provider: proven.provider, subject: proven.subject },
      { populate: ['user'] },
    );
    if (known) {
      await em.nativeUpdate(
        Identity,
        { id: known.id },
        { lastUsedAt: now, email: proven.email, emailVerified: proven.emailVerified },
      );
      return { kind: 'proven', userId: known.user.id, amr: [SOCIAL_AMR], user: known.user };
    }
    if (!proven.email) return { kind: 'email-required', audit: 'rejected' };
    const trusted = provider.trustEmail && proven.emailVerified;
    const existing = await em.findOne(User, { email: proven.email });
    if (!existing) {
      const userId = randomUUID();
      try {
        await inTransaction(em, async (tx) => {
          await tx.insert(User, {
            id: userId,
            email: proven.email!,
            passwordHash: null,
            emailVerifiedAt: trusted ? now : null,
            createdAt: now,
            updatedAt: now,
          });
          const identity = this.identityRow(userId, proven, now);
          await tx.insert(Identity, identity);
          await this.webhooks.emit(tx, {
            type: 'user.created',
            data: { userId, email: proven.email!, emailVerified: trusted, createdAt: now.toISOString() },
          });
          await this.emitLinked(tx, identity);
        });
      } catch (error) {
        // Another request made the account (or identity) at the same moment: the caller may retry.
        if (error instanceof UniqueConstraintViolationException)
          return { kind: 'invalid-token', audit: 'failure' };
        throw error;
      }
      await this.events.record({ kind: 'sign_up', result: 'success', userId, client, em });
      return this.proof(em, userId);
    }
    if (!trusted) {
      return this.enumerationSafe
        ? { kind: 'unproven-email', audit: 'rejected', accountId: existing.id }
        : { kind: 'identity-link-required', audit: 'rejected', accountId: existing.id };
    }
    try {
      await inTransaction(em, async (tx) => {
        if (
          existing.emailVerifiedAt === null &&
          (await this.handToMailboxOwner(tx, existing.id, client, now))
        ) {
          await this.webhooks.emit(tx, {
            type: 'user.email_verified',
            data: { userId: existing.id, email: existing.email, verifiedAt: now.toISOString() },
          });
        }
        const identity = this.identityRow(existing.id, proven, now);
        await tx.insert(Identity, identity);
        await this.notifyLinked(tx, existing.id, provider, client, now);
        await this.emitLinked(tx, identity);
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException)
        return { kind: 'invalid-token', audit: 'failure' };
      throw error;
    }
    return this.proof(em, existing.id);
  }

  /** The user as the database has it now (the identity map may hold the state before a hand-over). */
  private async proof(em: EntityManager, userId: string): Promise<SignInProof> {
    const user = await em.findOneOrFail(User, { id: userId }, { refresh: true });
    return { kind: 'proven', userId, amr: [SOCIAL_AMR], user };
  }

  /** linkIdentity's callback: the identity joins the signed-in user's account, unless it is someone else's. */
  async link(
    em: EntityManager,
    userId: string,
    provider: OAuthProviderConfig,
    proven: ProvenIdentity,
    client: ClientInfo,
  ): Promise<LinkOutcome> {
    const now = new Date();
    try {
      return await inTransaction(em, async (tx) => {
        const known = await tx.findOne(Identity, { provider: proven.provider, subject: proven.subject });
        if (known && known.user.id !== userId) return { kind: 'identity-in-use' } as const;
        if (known) {
          await tx.nativeUpdate(
            Identity,
            { id: known.id },
            { lastUsedAt: now, email: proven.email, emailVerified: proven.emailVerified },
          );
          return { kind: 'linked' } as const;
        }
        const identity = { ...this.identityRow(userId, proven, now), lastUsedAt: null };
        await tx.insert(Identity, identity);
        await this.notifyLinked(tx, userId, provider, client, now);
        await this.emitLinked(tx, identity);
        return { kind: 'linked' } as const;
      });
    } catch (error) {
      // The same identity linked by a concurrent callback: someone else's, or this user's own.
      if (error instanceof UniqueConstraintViolationException) return { kind: 'identity-in-use' };
      throw error;
    }
  }

  async notifyUnlinked(
    em: EntityManager,
    userId: string,
    providerName: string,
    client: ClientInfo,
    identity?: { id: string; provider: string },
  ): Promise<void> {
    await this.events.record({ kind: 'identity_unlinked', result: 'success', userId, client, em });
    if (identity) {
      await this.webhooks.emit(em, {
        type: 'identity.unlinked',
        data: {
          userId,
          provider: identity.provider,
          identityId: identity.id,
          unlinkedAt: new Date().toISOString(),
        },
      });
    }
    await this.mailOutbox.enqueue(
      em,
      securityNotice(userId, 'identity-unlinked', client, new Date(), providerName),
    );
  }

  private async notifyLinked(
    em: EntityManager,
    userId: string,
    provider: OAuthProviderConfig,
    client: ClientInfo,
    at: Date,
  ): Promise<void> {
    await this.events.record({ kind: 'identity_linked', result: 'success', userId, client, em });
    await this.mailOutbox.enqueue(em, securityNotice(userId, 'identity-linked', client, at, provider.name));
  }

  /**
   * An unverified account whose mailbox a trusted provider has just proven: nothing its registrant
   * set without proving the mailbox survives (password, second factor, identities, sessions).
   */
  private async handToMailboxOwner(
    em: EntityManager,
    userId: string,
    client: ClientInfo,
    now: Date,
  ): Promise<boolean> {
    // The same first-mailbox-proof rule as an emailed link (CredentialChange, account-integrity issue),
    // and the identities the unverified registrant may have linked go too.
    const claimed = await this.credentialChange.claimNeverVerified(em, userId, client, now);
    await em.nativeDelete(Identity, { user: userId });
    return claimed;
  }

  /** identity.linked, in the transaction that inserts the identity (issue 22). */
  private async emitLinked(
    em: EntityManager,
    identity: { id: string; user: string; provider: string; linkedAt: Date },
  ): Promise<void> {
    await this.webhooks.emit(em, {
      type: 'identity.linked',
      data: {
        userId: identity.user,
        provider: identity.provider,
        identityId: identity.id,
        linkedAt: identity.linkedAt.toISOString(),
      },
    });
  }

  private identityRow(userId: string, proven: ProvenIdentity, now: Date) {
    return {
      id: randomUUID(),
      user: userId,
      provider: proven.provider,
      subject: proven.subject,
      email: proven.email,
      emailVerified: proven.emailVerified,
      linkedAt: now,
      lastUsedAt: now,
    };
  }
}
