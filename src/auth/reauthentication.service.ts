import type { EntityManager } from '@mikro-orm/core';
import type { AuthState } from '../context.js';
import { InvalidInputError } from '../domain-errors.js';
import type { SecurityEvents } from '../observability/security-events.js';
import { MAX_PASSWORD_INPUT_BYTES } from '../security/password-policy.js';
import { User } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import type { FactorCheck } from './second-factor.service.js';
import type { LoginFailureCounter } from './login-failure-counter.js';
import type { SecondFactorService } from './second-factor.service.js';
import type { ReauthenticatedToken, SessionService } from './session.service.js';
import type { PasswordMethod } from './sign-in/password.method.js';

export interface ReauthenticateInput {
  password?: string | null;
  /** A TOTP code or a recovery code, for users who have a second factor. */
  code?: string | null;
}

export type ReauthenticateOutcome =
  | { kind: 'reauthenticated'; token: ReauthenticatedToken }
  | { kind: 'invalid-credentials' }
  | { kind: 'invalid-code' }
  | { kind: 'too-many-attempts'; retryAfterSeconds: number };

/**
 * Step-up: the signed-in user proves a factor again (the password, or a TOTP or recovery code when
 * they have a second factor), and the session's authentication time becomes now. Every wrong
 * answer counts in the account's sign-in failure counter, the same one `signIn` uses, and a locked
 * account answers TooManyAttempts before anything is checked: `reauthenticate` is no guessing oracle.
 *
 * A user with neither a password nor a second factor (signed up by emailed link) cannot step up
 * here; they sign in again with a magic link, which makes a new session authenticated now.
 */
export class ReauthenticationService {
  constructor(
    private readonly passwordMethod: PasswordMethod,
    private readonly secondFactor: SecondFactorService,
    private readonly failures: LoginFailureCounter,
    private readonly sessions: SessionService,
    private readonly events: SecurityEvents,
  ) {}

  async reauthenticate(
    em: EntityManager,
    auth: AuthState,
    input: ReauthenticateInput,
    client: ClientInfo,
  ): Promise<ReauthenticateOutcome> {
    const password = input.password ?? null;
    const code = input.code ?? null;
    if ((password === null) === (code === null)) {
      throw new InvalidInputError(
        'Give exactly one of password and code.',
        password === null ? 'password' : 'code',
      );
    }
    if (password !== null && Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_INPUT_BYTES) {
      throw new InvalidInputError(`Password is longer than ${MAX_PASSWORD_INPUT_BYTES} bytes.`, 'password');
    }
    const user = await em.findOneOrFail(User, { id: auth.userId }, { disableIdentityMap: true });
    const gate = await this.failures.check(user.email, client);
    if (!gate.allowed) {
      await this.record('rejected', auth, client);
      return { kind: 'too-many-attempts', retryAfterSeconds: gate.retryAfterSeconds };
    }
    const proven =
      password !== null
        ? (await this.passwordMethod.verifyPassword(em, user.email, password, client.gone)).user !== null
        : code!.length <= 64 && isAccepted((await this.secondFactor.verify(em, user, code!, client)).kind);
    if (!proven) {
      await this.failures.recordFailure(user.email, client);
      await this.record('failure', auth, client);
      return password !== null ? { kind: 'invalid-credentials' } : { kind: 'invalid-code' };
    }
    await this.failures.clear(user.email, client);
    const token = await this.sessions.reauthenticated(em, auth.userId, auth.sessionId);
    // The session ended between the token check and now: nothing to refresh.
    if (!token) return { kind: 'invalid-credentials' };
    await this.record('success', auth, client);
    return { kind: 'reauthenticated', token };
  }

  private async record(
    result: 'success' | 'failure' | 'rejected',
    auth: AuthState,
    client: ClientInfo,
  ): Promise<void> {
    await this.events.record({
      kind: 'reauthenticate',
      result,
      userId: auth.userId,
      sessionId: auth.sessionId,
      client,
    });
  }
}

/** Only an accepted code proves anything: `invalid` and `locked` (the factor cap, issue 17) do not. */
function isAccepted(kind: FactorCheck['kind']): boolean {
  return kind === 'totp' || kind === 'recovery-code';
}
