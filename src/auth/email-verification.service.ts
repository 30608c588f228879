import type { EntityManager } from '@mikro-orm/core';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { ClientInfo } from './client-info.js';
import { requireEmail } from './email.js';
import type { OneTimeTokenService } from './one-time-token.service.js';
import type { CredentialChange } from './credential-change.js';
import type { CompleteSignIn, CompletedSignIn } from './sign-in/complete-sign-in.js';
import { EmailLinkMethod } from './sign-in/email-link.method.js';
import type { WebhookEmitter } from '../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../webhooks/webhook-outbox.js';
import type { EmailLinkRefusal } from './sign-in/email-link.method.js';

export type TokenSignInOutcome = CompletedSignIn | EmailLinkRefusal;

export class EmailVerificationService {
  private readonly method: EmailLinkMethod;

  constructor(
    tokens: OneTimeTokenService,
    private readonly outbox: MailOutbox,
    private readonly completion: CompleteSignIn,
    credentialChange: CredentialChange,
    webhooks: WebhookEmitter = NO_WEBHOOKS,
  ) {
    // Its audit event is `email_verified`: following the link confirms the address and signs in.
    this.method = new EmailLinkMethod(
      tokens,
      'email-verification',
      'email_verified',
      credentialChange,
      async (em, user) => {
        await this.outbox.enqueue(em, { kind: 'email-verified', userId: user.id });
      },
      webhooks,
    );
  }

  /** Always true. Only records a job: whether the address exists is decided later, off the request. */
  async request(em: EntityManager, rawEmail: string): Promise<true> {
    await this.outbox.enqueue(em, { kind: 'verify-email', email: requireEmail(rawEmail) });
    return true;
  }

  /** Confirms the address and signs the user in (following the link proves the mailbox). */
  async verify(em: EntityManager, token: string, client: ClientInfo): Promise<TokenSignInOutcome> {
    return this.completion.run(em, this.method, token, client);
  }
}
