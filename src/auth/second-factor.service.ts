import type { EntityManager } from '@mikro-orm/core';
import { raw } from '@mikro-orm/core';
import type { SecurityEvents } from '../observability/security-events.js';
import type { SecretBox } from '../security/crypto.js';
import type { Totp } from '../security/totp.js';
import { normaliseTotpCode } from '../security/totp.js';
import { RecoveryCode, User } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import {
  legacyRecoveryCodeHash,
  normaliseRecoveryCode,
  recoveryCodeHashCandidates,
} from './recovery-codes.js';
import { updateUser } from '../storage/user-rows.js';

/** Pending and active secrets share one purpose: confirming moves the sealed value between columns. */
export const TOTP_SEAL_PURPOSE = 'totp-secret';

export type FactorCheck =
  | { kind: 'totp'; step: number }
  | { kind: 'recovery-code' }
  | { kind: 'invalid' }
  /** Too many wrong codes: no code is checked until a fresh primary sign-in (or, at 100, a success elsewhere). */
  | { kind: 'locked' };

/** Consecutive wrong codes after which the check waits for a fresh primary sign-in. */
export const MAX_CONSECUTIVE_FACTOR_FAILURES = 10;
/** Wrong codes without one accepted code, whatever the sign-ins in between (NIST SP 800-63B §5.2.2). */
export const MAX_FACTOR_FAILURES = 100;

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

  /**
   * Every TOTP/recovery-code check of every flow (completeMfaSignIn, disableTotp,
   * regenerateRecoveryCodes, reauthenticate by code) goes through here, and so through one
   * per-user failure counter. An attempt is claimed before the code is looked at, by one
   * conditional UPDATE: concurrent guesses can never pass the limits. Only an accepted code
   * gives the claim back (resets the counter).
   */
  async verify(em: EntityManager, user: User, code: string, client: ClientInfo): Promise<FactorCheck> {
    if (!user.totpEnabledAt || !user.totpSecretEncrypted) return { kind: 'invalid' };
    if (!(await this.claimAttempt(em, user.id))) {
      await this.events.record({ kind: 'mfa', result: 'rejected', userId: user.id, client });
      return { kind: 'locked' };
    }
    const check = await this.check(em, user, user.totpSecretEncrypted, code, client);
    if (check.kind !== 'invalid') {
      // eslint-disable-next-line no-restricted-syntax -- the factor counters are not in the cached profile (user-rows.ts)
      await em.nativeUpdate(User, { id: user.id }, { factorFailures: 0, factorFailureBase: 0 });
    }
    return check;
  }

  /**
   * A fresh primary sign-in (password, passkey, emailed link) lifts the 10-in-a-row lock, not the
   * 100-in-total one: called when such a sign-in reaches the second-factor challenge, and by
   * `reauthenticate` with a primary credential.
   */
  async primaryProven(em: EntityManager, userId: string): Promise<void> {
    // eslint-disable-next-line no-restricted-syntax -- the factor counters are not in the cached profile (user-rows.ts)
    await em.nativeUpdate(User, { id: userId }, { factorFailureBase: raw('factor_failures') });
  }

  /** Whether a code would be checked now (false: locked until a fresh sign-in or a success). */
  async isLocked(em: EntityManager, userId: string): Promise<boolean> {
    const row = await em.findOne(
      User,
      { id: userId },
      { fields: ['factorFailures', 'factorFailureBase'], disableIdentityMap: true },
    );
    if (!row) return true;
    return (
      row.factorFailures >= MAX_FACTOR_FAILURES ||
      row.factorFailures - row.factorFailureBase >= MAX_CONSECUTIVE_FACTOR_FAILURES
    );
  }

  private async claimAttempt(em: EntityManager, userId: string): Promise<boolean> {
    // eslint-disable-next-line no-restricted-syntax -- the factor counters are not in the cached profile (user-rows.ts)
    const claimed = await em.nativeUpdate(
      User,
      {
        id: userId,
        factorFailures: { $lt: MAX_FACTOR_FAILURES },
        [raw('factor_failures - factor_failure_base')]: { $lt: MAX_CONSECUTIVE_FACTOR_FAILURES },
      },
      { factorFailures: raw('factor_failures + 1') },
    );
    return claimed === 1;
  }

  private async check(
    em: EntityManager,
    user: User,
    sealedSecret: string,
    code: string,
    client: ClientInfo,
  ): Promise<FactorCheck> {
    if (normaliseTotpCode(code)) return this.verifyTotp(em, user, sealedSecret, code);
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
