import type { EntityManager } from '@mikro-orm/core';
import { BadUserInputError } from '../errors.js';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { SecurityEvents } from '../observability/security-events.js';
import { User } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import { parseEmail } from './email.js';
import type { OneTimeTokenService } from './one-time-token.service.js';
import type { TokenSignIn, TokenSignInOutcome } from './token-sign-in.js';

export function requireEmail(raw: string): string {
  const email = parseEmail(raw);
  if (!email) throw new BadUserInputError('Enter a valid email address.', 'email');
  return email;
}

export class EmailVerificationService {
  constructor(
    private readonly tokens: OneTimeTokenService,
    private readonly outbox: MailOutbox,
    private readonly tokenSignIn: TokenSignIn,
    private readonly events: SecurityEvents,
  ) {}

  /** Always true. Only records a job: whether the address exists is decided later, off the request. */
  async request(em: EntityManager, rawEmail: string): Promise<true> {
    await this.outbox.enqueue(em, { kind: 'verify-email', email: requireEmail(rawEmail) });
    return true;
  }

  /** Confirms the address and signs the user in (following the link proves the mailbox). */
  async verify(em: EntityManager, token: string, client: ClientInfo): Promise<TokenSignInOutcome> {
    const userId = await this.tokens.consume(em, token, 'email-verification');
    const user = userId ? await em.findOne(User, { id: userId }) : null;
    if (!user) {
      await this.events.record({ kind: 'email_verified', result: 'failure', client });
      return { kind: 'invalid-token' };
    }
    if (await markEmailVerified(em, user)) {
      await this.outbox.enqueue(em, { kind: 'email-verified', userId: user.id });
    }
    await this.events.record({ kind: 'email_verified', result: 'success', userId: user.id, client });
    return this.tokenSignIn.complete(em, user, ['email'], client);
  }
}

/** Sets emailVerifiedAt once; true when this call verified it. */
export async function markEmailVerified(em: EntityManager, user: User): Promise<boolean> {
  if (user.emailVerifiedAt !== null) return false;
  const now = new Date();
  const updated = await em.nativeUpdate(
    User,
    { id: user.id, emailVerifiedAt: null },
    { emailVerifiedAt: now },
  );
  user.emailVerifiedAt = now;
  return updated === 1;
}
