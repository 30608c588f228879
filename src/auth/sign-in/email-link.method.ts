import type { EntityManager } from '@mikro-orm/core';
import type { SecurityEventKind } from '../../observability/security-events.js';
import { User } from '../../storage/entities/index.js';
import type { ClientInfo } from '../client-info.js';
import type { OneTimeTokenPurpose } from '../../storage/entities/index.js';
import type { OneTimeTokenService } from '../one-time-token.service.js';
import type { SignInMethod, SignInProof } from './sign-in-method.js';
import { inTransaction } from '../../storage/transaction.js';
import type { WebhookEmitter } from '../../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../../webhooks/webhook-outbox.js';

export type EmailLinkRefusal = { kind: 'invalid-token'; audit: 'failure' };

/**
 * A single-use token that came by mail (magic link, verification link). Proves `email`: the
 * link reached this mailbox, which is exactly what verification proves, so the address is
 * marked verified here. `onVerified` runs when this link is what verified it.
 */
export class EmailLinkMethod implements SignInMethod<string, EmailLinkRefusal> {
  readonly name = 'email-link';

  constructor(
    private readonly tokens: OneTimeTokenService,
    private readonly purpose: Extract<OneTimeTokenPurpose, 'magic-link' | 'email-verification'>,
    readonly auditKind: SecurityEventKind,
    private readonly onVerified: (em: EntityManager, user: User) => Promise<void> = async () => undefined,
    private readonly webhooks: WebhookEmitter = NO_WEBHOOKS,
  ) {}

  async prove(
    em: EntityManager,
    token: string,
    _client: ClientInfo,
  ): Promise<SignInProof | EmailLinkRefusal> {
    const userId = await this.tokens.consume(em, token, this.purpose);
    const user = userId ? await em.findOne(User, { id: userId }) : null;
    if (!user) return { kind: 'invalid-token', audit: 'failure' };
    if (await markEmailVerified(em, user, this.webhooks)) await this.onVerified(em, user);
    return { kind: 'proven', userId: user.id, amr: ['email'], user };
  }
}

/** Sets emailVerifiedAt once (with its user.email_verified webhook event); true when this call verified it. */
export async function markEmailVerified(
  em: EntityManager,
  user: User,
  webhooks: WebhookEmitter = NO_WEBHOOKS,
): Promise<boolean> {
  if (user.emailVerifiedAt !== null) return false;
  const now = new Date();
  const write = async (tx: EntityManager) => {
    const updated = await tx.nativeUpdate(
      User,
      { id: user.id, emailVerifiedAt: null },
      { emailVerifiedAt: now },
    );
    if (updated === 1) {
      await webhooks.emit(tx, {
        type: 'user.email_verified',
        data: { userId: user.id, email: user.email, verifiedAt: now.toISOString() },
      });
    }
    return updated;
  };
  const updated = em.isInTransaction() ? await write(em) : await inTransaction(em, write);
  user.emailVerifiedAt = now;
  return updated === 1;
}
