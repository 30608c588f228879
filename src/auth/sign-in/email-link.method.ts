import type { EntityManager } from '@mikro-orm/core';
import type { SecurityEventKind } from '../../observability/security-events.js';
import { User } from '../../storage/entities/index.js';
import type { ClientInfo } from '../client-info.js';
import type { OneTimeTokenPurpose } from '../../storage/entities/index.js';
import type { OneTimeTokenService } from '../one-time-token.service.js';
import type { CredentialChange } from '../credential-change.js';
import { inTransaction } from '../../storage/transaction.js';
import type { SignInMethod, SignInProof } from './sign-in-method.js';
import type { WebhookEmitter } from '../../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../../webhooks/webhook-outbox.js';

export type EmailLinkRefusal = { kind: 'invalid-token'; audit: 'failure' };

/**
 * A single-use token that came by mail (magic link, verification link). Proves `email`: the
 * link reached this mailbox, which is exactly what verification proves, so the address is
 * marked verified here. `onVerified` runs when this link is what verified it.
 *
 * Verifying a never-verified account is its first mailbox proof: `CredentialChange.claimNeverVerified`
 * ends whatever the unverified holder set up (password, TOTP, codes, sessions, links), so a
 * pre-registered account cannot be a trap. A verification link of an already verified account
 * signs nobody in.
 */
export class EmailLinkMethod implements SignInMethod<string, EmailLinkRefusal> {
  readonly name = 'email-link';

  constructor(
    private readonly tokens: OneTimeTokenService,
    private readonly purpose: Extract<OneTimeTokenPurpose, 'magic-link' | 'email-verification'>,
    readonly auditKind: SecurityEventKind,
    private readonly credentialChange: CredentialChange,
    private readonly onVerified: (em: EntityManager, user: User) => Promise<void> = async () => undefined,
    private readonly webhooks: WebhookEmitter = NO_WEBHOOKS,
  ) {}

  async prove(em: EntityManager, token: string, client: ClientInfo): Promise<SignInProof | EmailLinkRefusal> {
    const userId = await this.tokens.consume(em, token, this.purpose);
    if (!userId) return { kind: 'invalid-token', audit: 'failure' };
    const now = new Date();
    const claimed = await inTransaction(em, async (tx) => {
      const won = await this.credentialChange.claimNeverVerified(tx, userId, client, now);
      if (won) {
        const verified = await tx.findOneOrFail(
          User,
          { id: userId },
          { fields: ['email'], disableIdentityMap: true },
        );
        // Receivers hear of the verification in the transaction that made it.
        await this.webhooks.emit(tx, {
          type: 'user.email_verified',
          data: { userId, email: verified.email, verifiedAt: now.toISOString() },
        });
      }
      return won;
    });
    const user = await em.findOne(User, { id: userId }, { disableIdentityMap: true });
    if (!user) return { kind: 'invalid-token', audit: 'failure' };
    if (claimed) await this.onVerified(em, user);
    // A verification link is for verifying: once the address is verified it signs nobody in.
    else if (this.purpose === 'email-verification') return { kind: 'invalid-token', audit: 'failure' };
    return { kind: 'proven', userId: user.id, amr: ['email'], user };
  }
}
