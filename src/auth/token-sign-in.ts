import type { EntityManager } from '@mikro-orm/core';
import type { User } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import type { SessionService, SignedIn } from './session.service.js';

/** Issues the MFA challenge for a user with a second factor (provided by the MFA flow). */
export interface SecondFactorChallenger {
  challenge(
    em: EntityManager,
    user: User,
    amr: string[],
    client: ClientInfo,
  ): Promise<{ challengeToken: string; expiresAt: Date }>;
}

export type TokenSignInOutcome =
  | { kind: 'signed-in'; signedIn: SignedIn }
  | { kind: 'mfa-required'; challengeToken: string; expiresAt: Date }
  | { kind: 'invalid-token' };

/** The last step of every sign-in by emailed token (verification link, magic link). */
export class TokenSignIn {
  constructor(
    private readonly sessions: SessionService,
    private challenger: SecondFactorChallenger | null = null,
  ) {}

  /** Wired by the composition root once the MFA flow exists. */
  setChallenger(challenger: SecondFactorChallenger): void {
    this.challenger = challenger;
  }

  async complete(
    em: EntityManager,
    user: User,
    amr: string[],
    client: ClientInfo,
  ): Promise<TokenSignInOutcome> {
    // MFA SEAM: a mailbox is one factor only. A user with a second factor gets a challenge,
    // never a session, from an emailed link (a stolen mailbox must not bypass TOTP).
    if (user.totpEnabledAt !== null) {
      if (!this.challenger) throw new Error('user has a second factor but no MFA challenger is wired');
      const challenge = await this.challenger.challenge(em, user, amr, client);
      return { kind: 'mfa-required', ...challenge };
    }
    return { kind: 'signed-in', signedIn: await this.sessions.create(em, user, amr, client) };
  }
}
