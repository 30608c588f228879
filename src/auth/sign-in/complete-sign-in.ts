import type { EntityManager } from '@mikro-orm/core';
import type { SecurityEventKind, SecurityEvents } from '../../observability/security-events.js';
import { User } from '../../storage/entities/index.js';
import type { ClientInfo } from '../client-info.js';
import type { SessionService, SignedIn } from '../session.service.js';
import type { UserProfile } from '../user.service.js';
import type { SignInMethod, SignInProof, SignInRefusal } from './sign-in-method.js';

export interface IssuedChallenge {
  challengeToken: string;
  expiresAt: Date;
}

/** Issues the second-factor challenge (the MFA flow's MfaChallengeIssuer). */
export interface SecondFactorChallenger {
  create(em: EntityManager, user: Pick<UserProfile, 'id'>, amr: string[]): Promise<IssuedChallenge>;
}

/** Lost-second-factor recovery (MfaRecoveryService): removes the factor once its waiting period is over. */
export interface DueFactorRecovery {
  completeIfDue(em: EntityManager, userId: string, client: ClientInfo): Promise<boolean>;
}

export interface SignInPolicy {
  /** SIGNUP_MODE=verify-first: a proof is not enough until the address is confirmed. */
  requireVerifiedEmail: boolean;
}

export type CompletedSignIn =
  | { kind: 'signed-in'; signedIn: SignedIn }
  | { kind: 'mfa-required'; challenge: IssuedChallenge }
  | { kind: 'email-not-verified' }
  /** Disabled by an administrator: clients answer it like wrong credentials; the audit says why. */
  | { kind: 'account-disabled' };

/** The proof a second factor adds (RFC 8176 `mfa`): a proof carrying it never gets another challenge. */
const SECOND_FACTOR_DONE = 'mfa';

function isProof(answer: SignInProof | SignInRefusal): answer is SignInProof {
  return answer.kind === 'proven';
}

/**
 * The one place where a sign-in is decided. A method proves who the user is; this step applies
 * every policy to that proof, in one order for every method: email verification, the second
 * factor, then the session (with the proof's amr), and it writes the sign-in audit event (and
 * with it the auth-event metric) for every outcome, refusals included.
 *
 * Account states that block a sign-in (a disabled account, when one exists) belong here, before
 * the session is made; so does a "new device" notice.
 */
export class CompleteSignIn {
  constructor(
    private readonly sessions: SessionService,
    private readonly challenger: SecondFactorChallenger,
    private readonly events: SecurityEvents,
    private readonly policy: SignInPolicy,
    private readonly recovery: DueFactorRecovery | null = null,
  ) {}

  /**
   * Whether a proof for this user would be let through the account-state checks of `complete`
   * (not disabled; verified where verify-first asks for it). A method asks it before remembering
   * the device: a device cookie minted for an account that may not sign in yet would outlive the
   * owner's first mailbox proof.
   */
  admits(user: Pick<User, 'disabledAt' | 'emailVerifiedAt'>): boolean {
    return !user.disabledAt && (!this.policy.requireVerifiedEmail || user.emailVerifiedAt !== null);
  }

  /** Runs a method and completes what it proved; a refusal is audited and returned as it is. */
  async run<Input, Refusal extends SignInRefusal>(
    em: EntityManager,
    method: SignInMethod<Input, Refusal>,
    input: Input,
    client: ClientInfo,
  ): Promise<CompletedSignIn | Refusal> {
    const answer = await method.prove(em, input, client);
    if (isProof(answer)) return this.complete(em, method.auditKind, answer, client);
    if (answer.audit) {
      await this.record(method.auditKind, answer.audit, answer.accountId ?? null, null, client);
    }
    return answer as Refusal;
  }

  async complete(
    em: EntityManager,
    auditKind: SecurityEventKind,
    proof: SignInProof,
    client: ClientInfo,
  ): Promise<CompletedSignIn> {
    const user = proof.user ?? (await em.findOneOrFail(User, { id: proof.userId }));

    // First: a disabled account gets nothing, not even a hint that its password was right.
    if ('disabledAt' in user ? user.disabledAt : await isDisabled(em, user.id)) {
      await this.events.record({
        kind: auditKind,
        result: 'rejected',
        userId: user.id,
        client,
        detail: 'account-disabled',
      });
      return { kind: 'account-disabled' };
    }

    // Told only to whoever has just proven the identity, so it reveals nothing about the address.
    if (this.policy.requireVerifiedEmail && user.emailVerifiedAt === null) {
      await this.record(auditKind, 'rejected', user.id, null, client);
      return { kind: 'email-not-verified' };
    }

    // A lost-second-factor recovery whose waiting period is over: the factor goes now (issue 17).
    // (One conditional UPDATE, for users with a second factor only.)
    if (
      user.totpEnabledAt !== null &&
      !proof.amr.includes(SECOND_FACTOR_DONE) &&
      this.recovery &&
      (await this.recovery.completeIfDue(em, user.id, client))
    ) {
      user.totpEnabledAt = null;
    }

    // With TOTP on, any first factor (password, mailbox, …) is one factor only: no session before
    // the code is checked, so a stolen password or mailbox never bypasses the second factor.
    if (user.totpEnabledAt !== null && !proof.amr.includes(SECOND_FACTOR_DONE)) {
      const challenge = await this.challenger.create(em, user, proof.amr);
      await this.record(auditKind, 'challenge', user.id, null, client);
      return { kind: 'mfa-required', challenge };
    }

    const signedIn = await this.sessions.create(em, user, proof.amr, client);
    await this.record(auditKind, 'success', user.id, signedIn.session.id, client);
    return { kind: 'signed-in', signedIn };
  }

  /** The sign-in audit event (and, through its sinks, the metric): written here and nowhere else. */
  private async record(
    kind: SecurityEventKind,
    result: 'success' | 'challenge' | 'failure' | 'rejected',
    userId: string | null,
    sessionId: string | null,
    client: ClientInfo,
  ): Promise<void> {
    await this.events.record({ kind, result, userId, sessionId, client });
  }
}

async function isDisabled(em: EntityManager, userId: string): Promise<boolean> {
  const row = await em.findOne(User, { id: userId }, { fields: ['disabledAt'] });
  return !!row?.disabledAt;
}
