import type { EntityManager } from '@mikro-orm/core';
import type { SecurityEvents } from '../observability/security-events.js';
import type { SecretBox } from '../security/crypto.js';
import type { Totp } from '../security/totp.js';
import { normaliseTotpCode } from '../security/totp.js';
import type { User } from '../storage/entities/index.js';
import { RecoveryCode } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import {
  legacyRecoveryCodeHash,
  normaliseRecoveryCode,
  recoveryCodeHashCandidates,
} from './recovery-codes.js';
import { updateUser } from '../storage/user-rows.js';

/** Pending and active secrets share one purpose: confirming moves the sealed value between columns. */
export const TOTP_SEAL_PURPOSE = 'totp-secret';

export type FactorCheck = { kind: 'totp'; step: number } | { kind: 'recovery-code' } | { kind: 'invalid' };

/**
 * Checks a second-factor code of a user with TOTP on: a current TOTP code or an unused recovery
 * code. Every accepted code is spent atomically, so a code can never be accepted twice, not even
 * by two requests racing each other.
 */
export class SecondFactorService {
  constructor(
    private readonly box: SecretBox,
    private readonly totp: Totp,
    private readonly events: SecurityEvents,
  ) {}

  async verify(em: EntityManager, user: User, code: string, client: ClientInfo): Promise<FactorCheck> {
    if (!user.totpEnabledAt || !user.totpSecretEncrypted) return { kind: 'invalid' };
    if (normaliseTotpCode(code)) return this.verifyTotp(em, user, user.totpSecretEncrypted, code);
    const recovery = normaliseRecoveryCode(code);
    if (recovery) return this.useRecoveryCode(em, user, recovery, client);
    return { kind: 'invalid' };
  }

  private async verifyTotp(
    em: EntityManager,
    user: User,
    sealedSecret: string,
    code: string,
  ): Promise<FactorCheck> {
    const secret = this.box.open(TOTP_SEAL_PURPOSE, sealedSecret);
    const step = this.totp.matchStep(secret, code, user.totpLastUsedStep);
    if (step === null) return { kind: 'invalid' };
    // Replay protection: only one request may move the last used step forward to this step;
    // conditional on the same secret, so a concurrent disable or re-enrollment is not undone.
    const won = await updateUser(
      em,
      user.id,
      {
        totpSecretEncrypted: sealedSecret,
        $or: [{ totpLastUsedStep: null }, { totpLastUsedStep: { $lt: step } }],
      },
      { totpLastUsedStep: step },
    );
    return won === 1 ? { kind: 'totp', step } : { kind: 'invalid' };
  }

  private async useRecoveryCode(
    em: EntityManager,
    user: User,
    normalised: string,
    client: ClientInfo,
  ): Promise<FactorCheck> {
    // Single use: the first request to stamp used_at wins, every later one finds nothing to update.
    const won = await em.nativeUpdate(
      RecoveryCode,
      {
        user: user.id,
        codeHash: {
          $in: [
            ...recoveryCodeHashCandidates(this.box, user.id, normalised),
            legacyRecoveryCodeHash(normalised),
          ],
        },
        usedAt: null,
      },
      { usedAt: new Date() },
    );
    if (won !== 1) return { kind: 'invalid' };
    await this.events.record({ kind: 'recovery_code_used', result: 'success', userId: user.id, client });
    return { kind: 'recovery-code' };
  }
}
