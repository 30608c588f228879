import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { BadUserInputError } from '../errors.js';
import type { SecurityEvents } from '../observability/security-events.js';
import type { PasswordService } from '../security/password.service.js';
import { checkPasswordPolicy } from '../security/password-policy.js';
import { User } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import { parseEmail } from './email.js';
import type { SessionService, SignedIn } from './session.service.js';

export type SignUpOutcome =
  | { kind: 'signed-in'; signedIn: SignedIn }
  | { kind: 'verification-required'; email: string }
  | { kind: 'password-rejected'; reasons: string[] }
  | { kind: 'email-taken' };

export interface SignUpInputData {
  email: string;
  password: string;
}

export class SignUpService {
  constructor(
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly events: SecurityEvents,
    private readonly mode: 'verify-first' | 'immediate',
  ) {}

  async execute(em: EntityManager, input: SignUpInputData, client: ClientInfo): Promise<SignUpOutcome> {
    const email = parseEmail(input.email);
    if (!email) throw new BadUserInputError('Enter a valid email address.', 'email');
    const check = checkPasswordPolicy(input.password, this.passwords.scheme);
    if (!check.ok) {
      await this.events.record({ kind: 'sign_up', result: 'rejected', client });
      return { kind: 'password-rejected', reasons: check.reasons };
    }
    // Hash before looking anything up: new and taken addresses cost the same time.
    const passwordHash = await this.passwords.hash(check.password);
    const user = await this.insertUser(em, email, passwordHash);
    if (!user) {
      await this.events.record({ kind: 'sign_up', result: 'failure', client });
      // Immediate mode cannot hide a taken address (it signs the new user in at once);
      // verify-first is the mode that reveals nothing.
      return this.mode === 'immediate' ? { kind: 'email-taken' } : { kind: 'verification-required', email };
    }
    await this.events.record({ kind: 'sign_up', result: 'success', userId: user.id, client });
    const signedIn = await this.sessions.create(em, user, ['pwd'], client);
    return { kind: 'signed-in', signedIn };
  }

  /** The unique index on the normalised email decides races: of 20 concurrent sign-ups one row survives. */
  private async insertUser(em: EntityManager, email: string, passwordHash: string): Promise<User | null> {
    const now = new Date();
    const id = randomUUID();
    try {
      await em.insert(User, { id, email, passwordHash, createdAt: now, updatedAt: now });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return null;
      throw error;
    }
    return em.findOneOrFail(User, id);
  }
}
