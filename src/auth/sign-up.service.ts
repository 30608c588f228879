import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { SecurityEvents } from '../observability/security-events.js';
import type { PasswordService } from '../security/password.service.js';
import { User } from '../storage/entities/index.js';
import type { ClientInfo } from './client-info.js';
import { requireEmail } from './email.js';
import type { SignedIn } from './session.service.js';
import type { CompleteSignIn } from './sign-in/complete-sign-in.js';
import { inTransaction } from '../storage/transaction.js';
import type { WebhookEmitter } from '../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../webhooks/webhook-outbox.js';

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
    private readonly completion: CompleteSignIn,
    private readonly events: SecurityEvents,
    private readonly mode: 'verify-first' | 'immediate',
    private readonly outbox: MailOutbox,
    private readonly webhooks: WebhookEmitter = NO_WEBHOOKS,
  ) {}

  async execute(em: EntityManager, input: SignUpInputData, client: ClientInfo): Promise<SignUpOutcome> {
    const email = requireEmail(input.email);
    const check = await this.passwords.checkNew(input.password, { email: input.email });
    if (!check.ok) {
      await this.events.record({ kind: 'sign_up', result: 'rejected', client });
      return { kind: 'password-rejected', reasons: check.reasons };
    }
    // Hash before looking anything up: new and taken addresses cost the same time.
    const passwordHash = await this.passwords.hash(check.password, client.gone);
    const userId = await this.insertUser(em, email, passwordHash);
    if (!userId) {
      await this.events.record({ kind: 'sign_up', result: 'failure', client });
      // Immediate mode cannot hide a taken address (it signs the new user in at once);
      // verify-first is the mode that reveals nothing.
      if (this.mode === 'immediate') return { kind: 'email-taken' };
      // The owner hears of the attempt by mail; the caller gets the very answer a new address gets.
      await this.outbox.enqueue(em, { kind: 'sign-up-existing', email });
      return { kind: 'verification-required', email };
    }
    if (this.mode === 'verify-first') {
      await this.events.record({ kind: 'sign_up', result: 'success', userId, client });
      // Same work as the taken-address path (one outbox insert): equal answers, equal time.
      await this.outbox.enqueue(em, { kind: 'verify-email', email });
      return { kind: 'verification-required', email };
    }
    // Immediate mode signs the new account in: the password just set is the proof, and the one
    // completion step makes the session and writes the sign_up event (with the session).
    const outcome = await this.completion.complete(
      em,
      'sign_up',
      { kind: 'proven', userId, amr: ['pwd'] },
      client,
    );
    // Unreachable otherwise: a new account has no second factor, and immediate mode needs no verified address.
    if (outcome.kind !== 'signed-in') throw new Error(`a new account's sign-in ended in ${outcome.kind}`);
    return outcome;
  }

  /** The unique index on the normalised email decides races: of 20 concurrent sign-ups one row survives. */
  private async insertUser(em: EntityManager, email: string, passwordHash: string): Promise<string | null> {
    const now = new Date();
    const id = randomUUID();
    try {
      // The account and its user.created webhook event: together or not at all.
      await inTransaction(em, async (tx) => {
        await tx.insert(User, { id, email, passwordHash, createdAt: now, updatedAt: now });
        await this.webhooks.emit(tx, {
          type: 'user.created',
          data: { userId: id, email, emailVerified: false, createdAt: now.toISOString() },
        });
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return null;
      throw error;
    }
    return id;
  }
}
