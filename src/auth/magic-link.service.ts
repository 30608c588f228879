import type { EntityManager } from '@mikro-orm/core';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { ClientInfo } from './client-info.js';
import { requireEmail } from './email.js';
import type { TokenSignInOutcome } from './email-verification.service.js';
import type { OneTimeTokenService } from './one-time-token.service.js';
import type { CredentialChange } from './credential-change.js';
import type { CompleteSignIn } from './sign-in/complete-sign-in.js';
import { EmailLinkMethod } from './sign-in/email-link.method.js';
import type { WebhookEmitter } from '../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../webhooks/webhook-outbox.js';

export class MagicLinkService {
  private readonly method: EmailLinkMethod;

  constructor(
    tokens: OneTimeTokenService,
    private readonly outbox: MailOutbox,
    private readonly completion: CompleteSignIn,
    credentialChange: CredentialChange,
    webhooks: WebhookEmitter = NO_WEBHOOKS,
  ) {
    this.method = new EmailLinkMethod(
      tokens,
      'magic-link',
      'magic_link',
      credentialChange,
      undefined,
      webhooks,
    );
  }

  /** Always true. Only records a job, so registered and unknown addresses cost the same. */
  async request(em: EntityManager, rawEmail: string): Promise<true> {
    await this.outbox.enqueue(em, { kind: 'magic-link', email: requireEmail(rawEmail) });
    return true;
  }

  async signIn(em: EntityManager, token: string, client: ClientInfo): Promise<TokenSignInOutcome> {
    return this.completion.run(em, this.method, token, client);
  }
}
