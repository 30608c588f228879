import type { EntityManager } from '@mikro-orm/core';
import { randomToken, sha256Hex } from '../security/crypto.js';
import { OneTimeToken } from '../storage/entities/index.js';
import type { OneTimeTokenPurpose } from '../storage/entities/index.js';

export interface OneTimeTokenLifetimes {
  emailVerificationTtlSeconds: number;
  passwordResetTtlSeconds: number;
  magicLinkTtlSeconds: number;
}

/** Longest token we ever issue is 43 characters; anything far longer is not worth a hash or a query. */
const MAX_PRESENTED_LENGTH = 256;

/** changeEmail's undo link works for 7 days (plus the confirmation link's lifetime). */
export const EMAIL_CHANGE_UNDO_SECONDS = 7 * 86_400;

/** A used token with what it carried. */
export interface ConsumedToken {
  userId: string;
  payload: string | null;
  createdAt: Date;
}

/**
 * Email tokens: 256 random bits, stored only as SHA-256, bound to one user and one purpose,
 * used at most once, and superseded by the next token of the same purpose.
 */
export class OneTimeTokenService {
  constructor(private readonly lifetimes: OneTimeTokenLifetimes) {}

  ttlSeconds(purpose: OneTimeTokenPurpose): number {
    switch (purpose) {
      case 'email-verification':
        return this.lifetimes.emailVerificationTtlSeconds;
      case 'password-reset':
        return this.lifetimes.passwordResetTtlSeconds;
      case 'magic-link':
        return this.lifetimes.magicLinkTtlSeconds;
      // Lost second factor: as long as a reset link (it only starts the waiting period).
      case 'mfa-recovery':
        return this.lifetimes.passwordResetTtlSeconds;
      // A confirmation link to a new address proves that mailbox, as a verification link does.
      case 'email-change':
        return this.lifetimes.emailVerificationTtlSeconds;
      // The old address can undo for 7 days after the change could have been confirmed.
      case 'email-change-undo':
        return EMAIL_CHANGE_UNDO_SECONDS + this.lifetimes.emailVerificationTtlSeconds;
    }
  }

  /** A new token; every older unused token of this purpose for this user stops working now. */
  async issue(
    em: EntityManager,
    userId: string,
    purpose: OneTimeTokenPurpose,
    payload: string | null = null,
  ): Promise<string> {
    const token = randomToken();
    const now = new Date();
    // Only the newest link of a purpose works: an older mail lying around in a mailbox is dead.
    // Except undo links: each change's old address keeps its own undo for its whole window, so a
    // later change (by whoever holds the account) cannot take the owner's undo away.
    if (purpose !== 'email-change-undo') {
      await em.nativeDelete(OneTimeToken, { user: userId, purpose, usedAt: null });
    }
    await em.insert(OneTimeToken, {
      tokenHash: sha256Hex(token),
      user: userId,
      purpose,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.ttlSeconds(purpose) * 1000),
      payload,
    });
    return token;
  }

  /**
   * Uses a token: the user id it belongs to, or null when it is unknown, of another purpose,
   * expired, superseded or already used. Single use is decided by one conditional update, so
   * of any number of concurrent uses exactly one wins.
   */
  async consume(em: EntityManager, presented: string, purpose: OneTimeTokenPurpose): Promise<string | null> {
    return (await this.consumeWithPayload(em, presented, purpose))?.userId ?? null;
  }

  /** consume, also giving what the token carried and when it was issued. */
  async consumeWithPayload(
    em: EntityManager,
    presented: string,
    purpose: OneTimeTokenPurpose,
  ): Promise<ConsumedToken | null> {
    if (presented.length === 0 || presented.length > MAX_PRESENTED_LENGTH) return null;
    const tokenHash = sha256Hex(presented);
    const now = new Date();
    const row = await em.findOne(
      OneTimeToken,
      { tokenHash, purpose },
      { fields: ['user', 'usedAt', 'expiresAt', 'payload', 'createdAt'], disableIdentityMap: true },
    );
    if (!row || row.usedAt !== null || row.expiresAt <= now) return null;
    const won = await em.nativeUpdate(
      OneTimeToken,
      { tokenHash, purpose, usedAt: null, expiresAt: { $gt: now } },
      { usedAt: now },
    );
    return won === 1 ? { userId: row.user.id, payload: row.payload, createdAt: row.createdAt } : null;
  }

  /** After a password reset or change: outstanding reset and sign-in links must not outlive it. */
  async revokeOutstanding(em: EntityManager, userId: string, purposes: OneTimeTokenPurpose[]): Promise<void> {
    await em.nativeDelete(OneTimeToken, { user: userId, purpose: { $in: purposes }, usedAt: null });
  }
}
