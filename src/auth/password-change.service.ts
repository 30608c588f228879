import { inTransaction } from '../storage/transaction.js';
import type { WebhookEmitter } from '../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../webhooks/webhook-outbox.js';
import type { EntityManager } from '@mikro-orm/core';
import type { AuthState } from '../context.js';
import { securityNotice } from '../mail/mail-jobs.js';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { SecurityEvents } from '../observability/security-events.js';
import type { PasswordService } from '../security/password.service.js';
import { MAX_PASSWORD_INPUT_BYTES } from '../security/password-policy.js';
import { User } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import type { CredentialChange } from './credential-change.js';
import type { LoginFailureCounter } from './login-failure-counter.js';
import type { StepUpService } from './step-up.js';
import type { SessionService } from './session.service.js';
import { updateUser } from '../storage/user-rows.js';

export type ChangePasswordOutcome =
  | { kind: 'password-changed'; signedOutSessions: number }
  | { kind: 'invalid-credentials' }
  | { kind: 'password-rejected'; reasons: string[] }
  | { kind: 'step-up-required'; maxAgeSeconds: number };

export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
  signOutOtherSessions: boolean;
}

export class PasswordChangeService {
  constructor(
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly credentialChange: CredentialChange,
    private readonly outbox: MailOutbox,
    private readonly events: SecurityEvents,
    private readonly stepUp: StepUpService,
    /** The sign-in failure counter: a wrong current password is a failed sign-in (same lock). */
    private readonly failures: Pick<LoginFailureCounter, 'check' | 'recordFailure' | 'clear'> | null = null,
    private readonly webhooks: WebhookEmitter = NO_WEBHOOKS,
  ) {}

  async change(
    em: EntityManager,
    auth: AuthState,
    input: ChangePasswordInput,
    client: ClientInfo,
  ): Promise<ChangePasswordOutcome> {
    // Setting or changing the password needs a recent primary authentication (step-up), checked
    // before the current password: a stale stolen token cannot even use this as a password oracle.
    if (!(await this.stepUp.isRecent(em, auth))) {
      return { kind: 'step-up-required', maxAgeSeconds: this.stepUp.maxAgeSeconds };
    }
    const user = await em.findOne(User, { id: auth.userId });
    const check = await this.passwords.checkNew(input.newPassword, { email: user?.email });
    if (!check.ok) return { kind: 'password-rejected', reasons: check.reasons };
    if (!user || !(await this.currentProofHolds(user, input.currentPassword, client))) {
      await this.events.record({
        kind: 'password_changed',
        result: 'failure',
        userId: auth.userId,
        sessionId: auth.sessionId,
        client,
      });
      return { kind: 'invalid-credentials' };
    }
    const passwordHash = await this.passwords.hash(check.password);
    const signedOutSessions = await inTransaction(em, async (tx) => {
      // Conditional on the hash just verified: of two concurrent changes only one applies.
      const now = new Date();
      const updated = await updateUser(
        tx,
        user.id,
        { passwordHash: user.passwordHash },
        { passwordHash, updatedAt: now },
      );
      if (updated !== 1) return null;
      await this.webhooks.emit(tx, {
        type: 'password.changed',
        data: { userId: user.id, changedAt: now.toISOString(), firstPassword: user.passwordHash === null },
      });
      // No link mailed and no second-factor challenge begun before the change outlives it.
      await this.credentialChange.endOutstanding(tx, user.id);
      // The owner hears of it with when and from which device (one mail, in this transaction).
      await this.outbox.enqueue(tx, securityNotice(user.id, 'password-changed', client, new Date()));
      return input.signOutOtherSessions
        ? this.sessions.revokeAll(tx, user.id, 'password-changed', {
            exceptSessionId: auth.sessionId,
            client,
          })
        : 0;
    });
    if (signedOutSessions === null) return { kind: 'invalid-credentials' };
    await this.events.record({
      kind: 'password_changed',
      result: 'success',
      userId: user.id,
      sessionId: auth.sessionId,
      client,
    });
    return { kind: 'password-changed', signedOutSessions };
  }

  /**
   * A stolen access token alone must not be enough to take the account: the current password is
   * required; an account without one ("set a password") has only the step-up checked above.
   */
  private async currentProofHolds(user: User, currentPassword: string, client: ClientInfo): Promise<boolean> {
    if (user.passwordHash === null) return true;
    // Locked out of sign-in = locked out of guessing here too: no check runs.
    if (this.failures && !(await this.failures.check(user.email, client)).allowed) return false;
    const ok =
      Buffer.byteLength(currentPassword, 'utf8') <= MAX_PASSWORD_INPUT_BYTES &&
      (await this.passwords.verify(currentPassword, user.passwordHash)).ok;
    if (!ok) await this.failures?.recordFailure(user.email, client);
    else await this.failures?.clear(user.email, client);
    return ok;
  }
}
