import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { sha256Hex } from '../security/crypto.js';
import { PasskeyChallenge } from '../storage/entities/index.js';
import type { PasskeyChallengePurpose } from '../storage/entities/index.js';

/** Every WebAuthn challenge lives five minutes (the ceremonies' timeout is the same). */
export const PASSKEY_CHALLENGE_TTL_SECONDS = 300;

export interface IssuedPasskeyChallenge {
  /** The random bytes the options carry (the authenticator signs over them). */
  bytes: Uint8Array<ArrayBuffer>;
  /** Their base64url form: what clientDataJSON.challenge says in the answer. */
  value: string;
}

export interface ConsumedPasskeyChallenge {
  userId: string | null;
  emailHash: string | null;
}

/** What clientDataJSON names as the challenge; never longer than this (ours are 43 characters). */
const MAX_CHALLENGE_LENGTH = 128;

/**
 * WebAuthn challenges: 256 random bits, stored only as SHA-256 (like the emailed tokens), bound to
 * one purpose (and the user or the address that asked), usable once and for five minutes.
 */
export class PasskeyChallenges {
  constructor(private readonly ttlSeconds = PASSKEY_CHALLENGE_TTL_SECONDS) {}

  async issue(
    em: EntityManager,
    purpose: PasskeyChallengePurpose,
    binding: { userId?: string; emailHash?: string },
  ): Promise<IssuedPasskeyChallenge> {
    const bytes = new Uint8Array(randomBytes(32));
    const value = Buffer.from(bytes).toString('base64url');
    const now = new Date();
    if (purpose === 'registration' && binding.userId) {
      // One registration at a time per user: an older, unanswered challenge stops working.
      await em.nativeDelete(PasskeyChallenge, { user: binding.userId, purpose, usedAt: null });
    }
    await em.insert(PasskeyChallenge, {
      challengeHash: sha256Hex(value),
      purpose,
      user: binding.userId ?? null,
      emailHash: binding.emailHash ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.ttlSeconds * 1000),
    });
    return { bytes, value };
  }

  /**
   * Uses a challenge: its binding, or null when it is unknown, of another purpose, expired or
   * already used. One conditional update decides, so of concurrent answers exactly one wins.
   */
  async consume(
    em: EntityManager,
    value: string,
    purpose: PasskeyChallengePurpose,
  ): Promise<ConsumedPasskeyChallenge | null> {
    if (value.length === 0 || value.length > MAX_CHALLENGE_LENGTH) return null;
    const challengeHash = sha256Hex(value);
    const now = new Date();
    const row = await em.findOne(
      PasskeyChallenge,
      { challengeHash, purpose },
      { fields: ['user', 'emailHash', 'usedAt', 'expiresAt'], disableIdentityMap: true },
    );
    if (!row || row.usedAt !== null || row.expiresAt <= now) return null;
    const won = await em.nativeUpdate(
      PasskeyChallenge,
      { challengeHash, purpose, usedAt: null, expiresAt: { $gt: now } },
      { usedAt: now },
    );
    if (won !== 1) return null;
    return { userId: row.user?.id ?? null, emailHash: row.emailHash };
  }
}
