import type { EntityManager } from '@mikro-orm/core';
import { BadUserInputError } from '../errors.js';
import type { SecurityEvents } from '../observability/security-events.js';
import type { CallerGone } from '../security/hash-queue.js';
import type { PasswordService } from '../security/password.service.js';
import { MAX_PASSWORD_INPUT_BYTES } from '../security/password-policy.js';
import { User } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import { parseEmail } from './email.js';
import type { IssuedChallenge, MfaChallengeService } from './mfa-challenge.service.js';
import type { LoginFailureCounter } from './login-failure-counter.js';
import type { SessionService, SignedIn } from './session.service.js';

export type SignInOutcome =
  | { kind: 'signed-in'; signedIn: SignedIn }
  | { kind: 'mfa-required'; challenge: IssuedChallenge }
  | { kind: 'invalid-credentials' }
  | { kind: 'too-many-attempts'; retryAfterSeconds: number }
  | { kind: 'email-not-verified' };

export interface SignInInputData {
  email: string;
  password: string;
}

export class SignInService {
  constructor(
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly events: SecurityEvents,
    private readonly failures: LoginFailureCounter,
    private readonly mfaChallenges: MfaChallengeService,
    /** SIGNUP_MODE=verify-first: a correct password is not enough until the address is confirmed. */
    private readonly requireVerifiedEmail = false,
  ) {}

  async execute(em: EntityManager, input: SignInInputData, client: ClientInfo): Promise<SignInOutcome> {
    // Refuse oversized input before any hashing: a 1 MB "password" must not cost a hash.
    if (Buffer.byteLength(input.password, 'utf8') > MAX_PASSWORD_INPUT_BYTES) {
      throw new BadUserInputError(`Password is longer than ${MAX_PASSWORD_INPUT_BYTES} bytes.`, 'password');
    }
    const email = parseEmail(input.email);
    if (!email) throw new BadUserInputError('Enter a valid email address.', 'email');

    // Checked before any hashing, the same way for unknown emails: a lock reveals nothing.
    const gate = await this.failures.check(email);
    if (!gate.allowed) {
      await this.events.record({ kind: 'sign_in', result: 'rejected', client });
      return { kind: 'too-many-attempts', retryAfterSeconds: gate.retryAfterSeconds };
    }
    const { user, accountId } = await this.verifyPassword(em, email, input.password, client.gone);
    if (!user) {
      await this.failures.recordFailure(email);
      // Attributed to the account when there is one, so its owner sees the attempt in the audit log.
      await this.events.record({ kind: 'sign_in', result: 'failure', userId: accountId, client });
      return { kind: 'invalid-credentials' };
    }
    await this.failures.clear(email);

    // Told only to whoever knows the password, so it reveals nothing about the address.
    if (this.requireVerifiedEmail && user.emailVerifiedAt === null) {
      await this.events.record({ kind: 'sign_in', result: 'rejected', userId: user.id, client });
      return { kind: 'email-not-verified' };
    }

    // With TOTP on the password is only the first factor: no session before the code is checked.
    if (user.totpEnabledAt) {
      const challenge = await this.mfaChallenges.create(em, user, ['pwd']);
      await this.events.record({ kind: 'sign_in', result: 'challenge', userId: user.id, client });
      return { kind: 'mfa-required', challenge };
    }
    const signedIn = await this.sessions.create(em, user, ['pwd'], client);
    await this.events.record({
      kind: 'sign_in',
      result: 'success',
      userId: user.id,
      sessionId: signedIn.session.id,
      client,
    });
    return { kind: 'signed-in', signedIn };
  }

  /**
   * The user whose password this is, or null (with the account's id, if there is one, for the audit
   * trail only: it never reaches the answer). Unknown email and wrong password take the same
   * path and the same time (a dummy verify), so neither the answer nor its timing tells them apart.
   * A hash that is not the current policy is upgraded now, while the plain password is at hand.
   */
  async verifyPassword(
    em: EntityManager,
    email: string,
    password: string,
    gone?: CallerGone,
  ): Promise<{ user: User | null; accountId: string | null }> {
    const user = await em.findOne(User, { email });
    if (!user) {
      await this.passwords.verifyDummy(password, gone);
      return { user: null, accountId: null };
    }
    const result = await this.passwords.verify(password, user.passwordHash, gone);
    if (!result.ok) return { user: null, accountId: user.id };
    if (result.needsRehash) {
      const upgraded = await this.passwords.hash(password);
      // Conditional on the old hash: a concurrent password change is never overwritten.
      await em.nativeUpdate(
        User,
        { id: user.id, passwordHash: user.passwordHash },
        { passwordHash: upgraded, updatedAt: new Date() },
      );
      user.passwordHash = upgraded;
    }
    return { user, accountId: user.id };
  }
}
