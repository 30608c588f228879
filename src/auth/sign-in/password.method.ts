import type { EntityManager } from '@mikro-orm/core';
import { InvalidInputError } from '../../domain-errors.js';
import type { CallerGone } from '../../security/hash-queue.js';
import type { PasswordService } from '../../security/password.service.js';
import { MAX_PASSWORD_INPUT_BYTES } from '../../security/password-policy.js';
import { User } from '../../storage/entities/index.js';
import type { ClientInfo } from '../client-info.js';
import { requireEmail } from '../email.js';
import type { LoginFailureCounter } from '../login-failure-counter.js';
import type { SignInMethod, SignInProof } from './sign-in-method.js';
import { updateUser } from '../../storage/user-rows.js';
import type { WebhookEmitter } from '../../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../../webhooks/webhook-outbox.js';

/**
 * The account of an address, in plain SQL (portable): every sign-in reads it, and MikroORM's
 * findOne built the query each time (issue 24, sign-in profile). The row becomes a managed User
 * as findOne's would (em.map: the same column mapping and type conversions).
 */
const USER_BY_EMAIL = 'select * from users where email = ? limit 1';

export interface PasswordInput {
  email: string;
  password: string;
}

export type PasswordRefusal =
  | { kind: 'invalid-credentials'; audit: 'failure'; accountId: string | null }
  | { kind: 'too-many-attempts'; audit: 'rejected'; retryAfterSeconds: number };

/** Email and password. Proves `pwd`; guarded by the per-address failure counter. */
export class PasswordMethod implements SignInMethod<PasswordInput, PasswordRefusal> {
  readonly name = 'password';
  readonly auditKind = 'sign_in' as const;

  constructor(
    private readonly passwords: PasswordService,
    private readonly failures: LoginFailureCounter,
    private readonly webhooks: WebhookEmitter = NO_WEBHOOKS,
    /**
     * Whether this sign-in may make the client a known device: only when the sign-in will complete
     * (not for a disabled account, nor an unverified one where sign-in needs a verified address).
     */
    private readonly mayRememberDevice: (user: User) => boolean = (user) => !user.disabledAt,
  ) {}

  async prove(
    em: EntityManager,
    input: PasswordInput,
    client: ClientInfo,
  ): Promise<SignInProof | PasswordRefusal> {
    // Refuse oversized input before any hashing: a 1 MB "password" must not cost a hash.
    if (Buffer.byteLength(input.password, 'utf8') > MAX_PASSWORD_INPUT_BYTES) {
      throw new InvalidInputError(`Password is longer than ${MAX_PASSWORD_INPUT_BYTES} bytes.`, 'password');
    }
    const email = requireEmail(input.email);

    // Checked before any hashing, the same way for unknown emails: a lock reveals nothing.
    const gate = await this.failures.check(email, client);
    if (!gate.allowed) {
      return { kind: 'too-many-attempts', audit: 'rejected', retryAfterSeconds: gate.retryAfterSeconds };
    }
    const { user, accountId } = await this.verifyPassword(em, email, input.password, client.gone);
    if (!user) {
      const failures = await this.failures.recordFailure(email, client);
      // The failure that reaches the hard lock tells receivers (the counter lives in Redis, not in a
      // transaction: the event is written on its own, once, by the attempt that locked the account).
      if (accountId && failures === this.failures.hardLock.failures) {
        const now = new Date();
        await this.webhooks.emit(em, {
          type: 'user.locked',
          data: {
            userId: accountId,
            lockedAt: now.toISOString(),
            lockedUntil: new Date(now.getTime() + this.failures.hardLock.seconds * 1000).toISOString(),
          },
        });
      }
      // Attributed to the account when there is one, so its owner sees the attempt in the audit log.
      return { kind: 'invalid-credentials', audit: 'failure', accountId };
    }
    await this.failures.clear(email, client);
    // The owner's device from now on: its own failure count, and no account-wide ceiling. Only for
    // an account whose address is proven and that may sign in: an unverified pre-registration must
    // not mint device cookies that outlive the owner's first mailbox proof (attack pass finding).
    if (this.mayRememberDevice(user)) {
      const device = this.failures.deviceCookie(email, client);
      if (device) client.rememberDevice?.(device);
    }
    return { kind: 'proven', userId: user.id, amr: ['pwd'], user };
  }

  /**
   * The user whose password this is, or null (with the account's id, if there is one, for the audit
   * trail only: it never reaches the answer). Unknown email, an account without a password and a
   * wrong password take the same path and the same time (a dummy verify), so neither the answer
   * nor its timing tells them apart. A hash that is not the current policy is upgraded now, while
   * the plain password is at hand.
   */
  async verifyPassword(
    em: EntityManager,
    email: string,
    password: string,
    gone?: CallerGone,
  ): Promise<{ user: User | null; accountId: string | null }> {
    const rows = await em
      .getConnection()
      .execute<Array<Record<string, unknown>>>(USER_BY_EMAIL, [email], 'all', em.getTransactionContext());
    const user = rows[0] ? em.map(User, rows[0]) : null;
    if (!user?.passwordHash) {
      await this.passwords.verifyDummy(password, gone);
      return { user: null, accountId: user?.id ?? null };
    }
    const result = await this.passwords.verify(password, user.passwordHash, gone);
    if (!result.ok) return { user: null, accountId: user.id };
    if (result.needsRehash) {
      const upgraded = await this.passwords.hash(password);
      // Conditional on the old hash: a concurrent password change is never overwritten.
      await updateUser(
        em,
        user.id,
        { passwordHash: user.passwordHash },
        { passwordHash: upgraded, updatedAt: new Date() },
      );
      user.passwordHash = upgraded;
    }
    return { user, accountId: user.id };
  }
}
