import type { EntityManager } from '@mikro-orm/core';
import type { SecurityEventKind } from '../../observability/security-events.js';
import type { ClientInfo } from '../client-info.js';
import type { UserProfile } from '../user.service.js';

/**
 * What a method answers when it has proven who the user is. `amr` (RFC 8176) names how:
 * `pwd`, `email`, `otp`, … It goes into the session and the access token as is.
 */
export interface SignInProof {
  kind: 'proven';
  userId: string;
  amr: string[];
  /** The user as the method already read it; the completion step reads it when absent. */
  user?: UserProfile & { disabledAt?: Date | null };
}

/**
 * A typed "no". `audit` says how the sign-in audit trail records it (omitted: not recorded, e.g.
 * a token that matched nothing); `accountId` attributes a failure to the account it targeted, so
 * the owner sees the attempt. Neither ever reaches the client's answer.
 */
export interface SignInRefusal {
  kind: string;
  audit?: 'failure' | 'rejected';
  accountId?: string | null;
}

/**
 * One way of proving identity (password, emailed link, second-factor code; later passkey, OIDC).
 * A method proves, nothing else: it never creates a session, never decides about MFA, never
 * writes the audit trail. CompleteSignIn does all three, once, for every method.
 */
export interface SignInMethod<Input, Refusal extends SignInRefusal> {
  /** For logs and docs: `password`, `email-link`, … */
  readonly name: string;
  /** The audit event kind this path records (`sign_in`, `magic_link`, `email_verified`, `mfa`). */
  readonly auditKind: SecurityEventKind;
  prove(em: EntityManager, input: Input, client: ClientInfo): Promise<SignInProof | Refusal>;
}
