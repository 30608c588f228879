import { randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { SecretBox } from '../security/crypto.js';
import { sha256Hex } from '../security/crypto.js';
import { RecoveryCode } from '../storage/entities/index.js';

export const RECOVERY_CODE_COUNT = 10;
// 32 symbols without the look-alikes 0/o and 1/l: 5 bits each, and 256 % 32 === 0 keeps them unbiased.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const CODE_LENGTH = 12; // 60 random bits: far beyond guessing within five tries per challenge.

function newCode(): string {
  const bytes = randomBytes(CODE_LENGTH);
  let code = '';
  for (const byte of bytes) code += ALPHABET[byte & 31];
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

/** Case, spaces and dashes are presentation only; null when it cannot be a recovery code. */
export function normaliseRecoveryCode(input: string): string | null {
  const code = input.toLowerCase().replace(/[\s-]+/g, '');
  return code.length === CODE_LENGTH && [...code].every((c) => ALPHABET.includes(c)) ? code : null;
}

const RECOVERY_CODE_MAC_PURPOSE = 'recovery-code';

/**
 * The stored form of a recovery code: HMAC-SHA256 of `userId:normalised` under a key derived from
 * AUTH_SECRET. 60 random bits are too few for a plain hash (a copy of the table could be searched
 * offline); the key makes that impossible without AUTH_SECRET, and the user id binds the row to
 * its owner, so a row copied to another user matches nothing.
 */
export function hashRecoveryCode(box: SecretBox, userId: string, normalised: string): string {
  return box.mac(RECOVERY_CODE_MAC_PURPOSE, `${userId}:${normalised}`);
}

/** Every stored form the code may have while AUTH_SECRET is being rotated (current first). */
export function recoveryCodeHashCandidates(box: SecretBox, userId: string, normalised: string): string[] {
  return box.macCandidates(RECOVERY_CODE_MAC_PURPOSE, `${userId}:${normalised}`);
}

/**
 * How codes issued before 0.2 were stored (unkeyed SHA-256 of the normalised code). Such a code
 * still works, once, so nobody is locked out by the upgrade; it is gone when used or when the
 * user regenerates codes (docs/SECURITY.md recommends regenerating).
 */
export function legacyRecoveryCodeHash(normalised: string): string {
  return sha256Hex(normalised);
}

/**
 * Replaces every recovery code of the user with ten new ones and returns them in clear, once.
 * Only keyed hashes are stored. Call inside the transaction that also changes the user's TOTP state.
 */
export async function replaceRecoveryCodes(
  em: EntityManager,
  box: SecretBox,
  userId: string,
): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  const now = new Date();
  await em.nativeDelete(RecoveryCode, { user: userId });
  await em.insertMany(
    RecoveryCode,
    codes.map((code) => ({
      id: randomUUID(),
      user: userId,
      codeHash: hashRecoveryCode(box, userId, normaliseRecoveryCode(code)!),
      createdAt: now,
      usedAt: null,
    })),
  );
  return codes;
}
