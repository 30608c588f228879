import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { SecurityEvents } from '../observability/security-events.js';
import type { PasswordService } from '../security/password.service.js';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { User } from '../storage/entities/index.js';
import { toDateOrNull } from '../storage/db-values.js';
import type { DbDate } from '../storage/db-values.js';
import { profileFromRow } from './user.service.js';
import type { ProfileRow, UserProfile } from './user.service.js';
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
    const created = await this.insertUser(em, email, passwordHash);
    if (!created) {
      await this.events.record({ kind: 'sign_up', result: 'failure', client });
      // Immediate mode cannot hide a taken address (it signs the new user in at once);
      // verify-first is the mode that reveals nothing.
      if (this.mode === 'immediate') return { kind: 'email-taken' };
      // The owner hears of the attempt by mail; the caller gets the very answer a new address gets.
      await this.outbox.enqueue(em, { kind: 'sign-up-existing', email });
      return { kind: 'verification-required', email };
    }
    if (this.mode === 'verify-first') {
      await this.events.record({ kind: 'sign_up', result: 'success', userId: created.id, client });
      // Same work as the taken-address path (one outbox insert): equal answers, equal time.
      await this.outbox.enqueue(em, { kind: 'verify-email', email });
      return { kind: 'verification-required', email };
    }
    // Immediate mode signs the new account in: the password just set is the proof, and the one
    // completion step makes the session and writes the sign_up event (with the session).
    const outcome = await this.completion.complete(
      em,
      'sign_up',
      // The row as the insert returned it (PostgreSQL): not read again.
      { kind: 'proven', userId: created.id, user: 'email' in created ? created : undefined, amr: ['pwd'] },
      client,
    );
    // Unreachable otherwise: a new account has no second factor, and immediate mode needs no verified address.
    if (outcome.kind !== 'signed-in') throw new Error(`a new account's sign-in ended in ${outcome.kind}`);
    return outcome;
  }

  /**
   * The unique index on the normalised email decides races: of 20 concurrent sign-ups one row
   * survives. The account and its user.created deliveries: together or not at all (one statement
   * on PostgreSQL, which also answers the row the sign-in needs; a transaction elsewhere).
   */
  private async insertUser(em: EntityManager, email: string, passwordHash: string): Promise<NewUser | null> {
    const now = new Date();
    const id = randomUUID();
    const event = {
      type: 'user.created' as const,
      data: { userId: id, email, emailVerified: false, createdAt: now.toISOString() },
    };
    try {
      if (this.webhooks.inline && em.getPlatform() instanceof PostgreSqlPlatform) {
        const deliveries = this.webhooks.inline(em, event, 'account', now);
        const [row] = await em
          .getConnection()
          .execute<Array<ProfileRow & { disabled_at: DbDate | null; webhook_deliveries: unknown }>>(
            `${INSERT_USER_POSTGRES}${deliveries.ctes}\nselect a.*, ${deliveries.column} from account a`,
            [id, email, passwordHash, now, now, ...deliveries.params],
            'all',
            em.getTransactionContext(),
          );
        deliveries.written(row!.webhook_deliveries);
        return {
          ...profileFromRow(row!),
          disabledAt: toDateOrNull(row!.disabled_at),
        };
      }
      await inTransaction(em, async (tx) => {
        await tx.insert(User, { id, email, passwordHash, createdAt: now, updatedAt: now });
        await this.webhooks.emit(tx, event);
      });
    } catch (error) {
      if (isUniqueViolation(em, error)) return null;
      throw error;
    }
    return { id };
  }
}

/** The new account, and the columns of it a sign-in reads (PostgreSQL: returned by the insert). */
type NewUser = { id: string } | (UserProfile & { disabledAt: Date | null });

const INSERT_USER_POSTGRES = `with account as (
  insert into users (id, email, password_hash, created_at, updated_at) values (?, ?, ?, ?, ?)
  returning id, email, email_verified_at, totp_enabled_at, created_at, roles, disabled_at
)`;

/** MikroORM's execute() passes the driver's error as it is; its own methods convert it. */
function isUniqueViolation(em: EntityManager, error: unknown): boolean {
  if (error instanceof UniqueConstraintViolationException) return true;
  return (
    error instanceof Error &&
    em.getDriver().convertException(error) instanceof UniqueConstraintViolationException
  );
}
