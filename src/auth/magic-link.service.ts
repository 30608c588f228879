import type { EntityManager } from '@mikro-orm/core';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { SecurityEvents } from '../observability/security-events.js';
import { User } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import { markEmailVerified, requireEmail } from './email-verification.service.js';
import type { OneTimeTokenService } from './one-time-token.service.js';
import type { TokenSignIn, TokenSignInOutcome } from './token-sign-in.js';

export class MagicLinkService {
  constructor(
    private readonly tokens: OneTimeTokenService,
    private readonly outbox: MailOutbox,
    private readonly tokenSignIn: TokenSignIn,
    private readonly events: SecurityEvents,
  ) {}

  /** Always true. Only records a job, so registered and unknown addresses cost the same. */
  async request(em: EntityManager, rawEmail: string): Promise<true> {
    await this.outbox.enqueue(em, { kind: 'magic-link', email: requireEmail(rawEmail) });
    return true;
  }

  async signIn(em: EntityManager, token: string, client: ClientInfo): Promise<TokenSignInOutcome> {
    const userId = await this.tokens.consume(em, token, 'magic-link');
    const user = userId ? await em.findOne(User, { id: userId }) : null;
    if (!user) {
      await this.events.record({ kind: 'magic_link', result: 'failure', client });
      return { kind: 'invalid-token' };
    }
    // The link reached this mailbox, which is exactly what verification proves.
    await markEmailVerified(em, user);
    const outcome = await this.tokenSignIn.complete(em, user, ['email'], client);
    await this.events.record({
      kind: 'magic_link',
      result: outcome.kind === 'mfa-required' ? 'challenge' : 'success',
      userId: user.id,
      sessionId: outcome.kind === 'signed-in' ? outcome.signedIn.session.id : null,
      client,
    });
    return outcome;
  }
}
