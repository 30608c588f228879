import type { EntityManager } from '@mikro-orm/core';
import { raw } from '@mikro-orm/core';
import { randomToken, sha256Hex } from '../security/crypto.js';
import { MfaChallenge } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import type { SecondFactorService } from './second-factor.service.js';
import type {
  CompleteSignIn,
  CompletedSignIn,
  IssuedChallenge,
  SecondFactorChallenger,
} from './sign-in/complete-sign-in.js';
import type { SignInMethod, SignInProof } from './sign-in/sign-in-method.js';
import type { UserProfile } from './user.service.js';

/** Five codes per challenge: enough for typos, too few to guess a 6-digit code. */
export const MAX_CHALLENGE_ATTEMPTS = 5;
// Across challenges (and every other flow that checks a code) the per-user counter of
// SecondFactorService caps guessing: 10 in a row, then a fresh sign-in; 100 without a success.

export type { IssuedChallenge } from './sign-in/complete-sign-in.js';

export interface MfaCodeInput {
  challengeToken: string;
  code: string;
}

export type MfaCodeRefusal =
  | { kind: 'invalid-code'; audit?: 'failure'; accountId?: string }
  | { kind: 'invalid-token'; audit?: 'rejected'; accountId?: string }
  | { kind: 'challenge-ended'; audit: 'rejected'; accountId: string }
  | { kind: 'too-many-attempts'; audit: 'rejected'; accountId: string; retryAfterSeconds: number };

export type CompleteMfaOutcome = CompletedSignIn | MfaCodeRefusal;

/** Issues the challenge that CompleteSignIn hands out when a proof lacks the second factor. */
export class MfaChallengeIssuer implements SecondFactorChallenger {
  constructor(
    private readonly ttlSeconds: number,
    private readonly secondFactor: Pick<SecondFactorService, 'primaryProven'>,
  ) {}

  /** `amr` names the first factor (`['pwd']`, `['email']`); the session gets it with the code's. */
  async create(em: EntityManager, user: Pick<UserProfile, 'id'>, amr: string[]): Promise<IssuedChallenge> {
    const challengeToken = randomToken();
    const now = new Date();
    // A fresh primary sign-in: the 10-in-a-row lock of the factor check is lifted (not the 100 cap).
    await this.secondFactor.primaryProven(em, user.id);
    const expiresAt = new Date(now.getTime() + this.ttlSeconds * 1000);
    // Stored as a hash only: the token alone, with a code, finishes a sign-in.
    await em.insert(MfaChallenge, {
      tokenHash: sha256Hex(challengeToken),
      user: user.id,
      amr: amr.join(','),
      createdAt: now,
      expiresAt,
      attempts: 0,
      consumedAt: null,
    });
    return { challengeToken, expiresAt };
  }
}

/**
 * The second step of a sign-in: a first factor (password, magic link) that succeeded for a user
 * with TOTP on yields a challenge instead of a session; completing it with a code signs in.
 * The code is a sign-in method of its own (`mfa`): it proves the first factor's amr plus `otp`
 * and `mfa`, and CompleteSignIn makes the session.
 */
export class MfaChallengeService implements SignInMethod<MfaCodeInput, MfaCodeRefusal> {
  readonly name = 'mfa-code';
  readonly auditKind = 'mfa' as const;

  constructor(
    private readonly secondFactor: SecondFactorService,
    private readonly completion: CompleteSignIn,
  ) {}

  async complete(
    em: EntityManager,
    challengeToken: string,
    code: string,
    client: ClientInfo,
  ): Promise<CompleteMfaOutcome> {
    return this.completion.run(em, this, { challengeToken, code }, client);
  }

  async prove(
    em: EntityManager,
    { challengeToken, code }: MfaCodeInput,
    client: ClientInfo,
  ): Promise<SignInProof | MfaCodeRefusal> {
    if (challengeToken.length === 0 || challengeToken.length > 512) return { kind: 'invalid-token' };
    if (code.length > 64) return { kind: 'invalid-code' };
    const tokenHash = sha256Hex(challengeToken);
    const now = new Date();
    const challenge = await em.findOne(MfaChallenge, { tokenHash }, { populate: ['user'] });
    if (!challenge || challenge.consumedAt || challenge.expiresAt <= now) return { kind: 'invalid-token' };
    const user = challenge.user;
    // Claim an attempt before checking the code: concurrent guesses cannot exceed the limit.
    const claimed = await em.nativeUpdate(
      MfaChallenge,
      { tokenHash, consumedAt: null, attempts: { $lt: MAX_CHALLENGE_ATTEMPTS }, expiresAt: { $gt: now } },
      { attempts: raw('attempts + 1') },
    );
    if (claimed !== 1) {
      return challenge.attempts >= MAX_CHALLENGE_ATTEMPTS
        ? { kind: 'challenge-ended', audit: 'rejected', accountId: user.id }
        : { kind: 'invalid-token', audit: 'rejected', accountId: user.id };
    }

    const check = await this.secondFactor.verify(em, user, code, client);
    if (check.kind === 'locked') return { kind: 'challenge-ended', audit: 'rejected', accountId: user.id };
    if (check.kind === 'invalid') return { kind: 'invalid-code', audit: 'failure', accountId: user.id };
    const consumed = await em.nativeUpdate(
      MfaChallenge,
      { tokenHash, consumedAt: null },
      { consumedAt: now },
    );
    if (consumed !== 1) return { kind: 'invalid-token' };

    // RFC 8176 `otp` for a TOTP code; a recovery code (a look-up secret, NIST 800-63B §5.1.2) is
    // not an OTP device, so it gets its own value, `recovery-code`: relying services can tell the two apart
    // (and ask for a new enrollment, or refuse step-up on a recovery code).
    const secondFactor = check.kind === 'recovery-code' ? 'recovery-code' : 'otp';
    const amr = [...new Set([...challenge.amr.split(',').filter(Boolean), secondFactor, 'mfa'])];
    return { kind: 'proven', userId: user.id, amr, user };
  }
}
