import type { EntityManager } from '@mikro-orm/core';
import { DeadlockException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { InvalidInputError } from '../domain-errors.js';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { EmailChangePayload } from '../mail/mail-jobs.js';
import type { SecurityEvents } from '../observability/security-events.js';
import {
  Identity,
  MfaChallenge,
  OneTimeToken,
  Passkey,
  RecoveryCode,
  Session,
  User,
} from '../storage/entities/index.js';
import { inTransaction } from '../storage/transaction.js';
import { deleteUser, updateUser } from '../storage/user-rows.js';
import type { WebhookEmitter } from '../webhooks/webhook-outbox.js';
import type { ClientInfo } from './client-info.js';
import { requireEmail } from './email.js';
import type { OneTimeTokenService } from './one-time-token.service.js';
import type { SessionService } from './session.service.js';

export type EmailChangeLinkOutcome = { kind: 'done'; email: string } | { kind: 'invalid-token' };

/** Every emailed link that could sign in or set a password: a change of address ends them. */
const LINKS_TO_THE_OLD_ADDRESS = [
  'password-reset',
  'magic-link',
  'email-verification',
  'mfa-recovery',
] as const;

/**
 * changeEmail (issue 21). The request (step-up, checked by the resolver) only records two mail jobs:
 * a confirmation link to the new address (or, if another account has it, a notice to that owner;
 * decided at send time, so both cases answer the same, in the same time) and a notice with an undo
 * link to the old one. The address changes when the new mailbox confirms; until then the old one
 * signs in. Confirming keeps the sessions: the change was made by a session with step-up, and the
 * defence against a stolen session is the undo, which gives the account back to the old mailbox.
 */
export class EmailChangeService {
  constructor(
    private readonly tokens: OneTimeTokenService,
    private readonly sessions: SessionService,
    private readonly outbox: MailOutbox,
    private readonly events: SecurityEvents,
    private readonly webhooks: WebhookEmitter,
  ) {}

  /** Records the request; the answer is the normalised new address, taken or not. */
  async request(
    em: EntityManager,
    auth: { userId: string; sessionId: string },
    rawNewEmail: string,
    client: ClientInfo,
  ): Promise<string> {
    const newEmail = requireEmail(rawNewEmail);
    const user = await em.findOne(User, { id: auth.userId }, { fields: ['email'], disableIdentityMap: true });
    if (!user) throw new Error('a live session without its user');
    if (user.email === newEmail) throw new InvalidInputError('That is already your address.', 'newEmail');
    const session = await em.findOne(
      Session,
      { id: auth.sessionId },
      { fields: ['createdAt'], disableIdentityMap: true },
    );
    const now = new Date();
    await inTransaction(em, async (tx) => {
      await this.outbox.enqueue(tx, { kind: 'email-change-confirm', userId: auth.userId, newEmail });
      await this.outbox.enqueue(tx, {
        kind: 'email-change-notice',
        userId: auth.userId,
        newEmail,
        since: (session?.createdAt ?? now).toISOString(),
        at: now.toISOString(),
        ip: client.ip,
        userAgent: client.userAgent,
      });
      await this.events.record({
        kind: 'email_change_requested',
        result: 'success',
        userId: auth.userId,
        sessionId: auth.sessionId,
        client,
        em: tx,
      });
    });
    return newEmail;
  }

  /** The link mailed to the new address: the account moves to it (and it counts as verified). */
  async confirm(em: EntityManager, token: string, client: ClientInfo): Promise<EmailChangeLinkOutcome> {
    let outcome: EmailChangeLinkOutcome;
    try {
      outcome = await onceMoreAfterDeadlock(() =>
        inTransaction(em, (tx) => this.confirmIn(tx, token, client)),
      );
    } catch (error) {
      // Another account took the address between the check and the write: the link cannot be used.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      outcome = { kind: 'invalid-token' };
    }
    if (outcome.kind === 'invalid-token') {
      await this.events.record({ kind: 'email_change_confirmed', result: 'failure', client });
    }
    return outcome;
  }

  private async confirmIn(
    tx: EntityManager,
    token: string,
    client: ClientInfo,
  ): Promise<EmailChangeLinkOutcome> {
    const used = await this.tokens.consumeWithPayload(tx, token, 'email-change');
    const payload = used ? parsePayload(used.payload) : null;
    if (!used || !payload) return { kind: 'invalid-token' };
    const user = await tx.findOne(User, { id: used.userId }, { disableIdentityMap: true });
    if (!user || user.disabledAt !== null) return { kind: 'invalid-token' };
    const holder = await tx.findOne(
      User,
      { email: payload.email },
      { fields: ['id'], disableIdentityMap: true },
    );
    if (holder && holder.id !== user.id) return { kind: 'invalid-token' };
    const now = new Date();
    await updateUser(tx, user.id, {}, { email: payload.email, emailVerifiedAt: now, updatedAt: now });
    // Links mailed to the old address before the move stop working (the undo links stay).
    await this.tokens.revokeOutstanding(tx, user.id, [...LINKS_TO_THE_OLD_ADDRESS]);
    await this.webhooks.emit(tx, {
      type: 'user.updated',
      data: { userId: user.id, changed: ['email'], email: payload.email, updatedAt: now.toISOString() },
    });
    await this.events.record({
      kind: 'email_change_confirmed',
      result: 'success',
      userId: user.id,
      client,
      em: tx,
    });
    return { kind: 'done', email: payload.email };
  }

  /**
   * The undo link mailed to the old address. Whoever changed the address may hold a stolen session,
   * so the undo gives the account back to the mailbox: the old address returns (verified: the link
   * proves it), every session ends, the password is cleared (a set-password link goes to the old
   * address), and what the asking session could have added since it began goes (a second factor
   * enabled since, passkeys, linked identities). Later undo links (of changes made after this one)
   * and every other outstanding link or challenge stop working.
   */
  async undo(em: EntityManager, token: string, client: ClientInfo): Promise<EmailChangeLinkOutcome> {
    const outcome = await onceMoreAfterDeadlock(() =>
      inTransaction(em, (tx) => this.undoIn(tx, token, client)),
    );
    if (outcome.kind === 'invalid-token') {
      await this.events.record({ kind: 'email_change_undone', result: 'failure', client });
    }
    return outcome;
  }

  private async undoIn(
    tx: EntityManager,
    token: string,
    client: ClientInfo,
  ): Promise<EmailChangeLinkOutcome> {
    const used = await this.tokens.consumeWithPayload(tx, token, 'email-change-undo');
    const payload = used ? parsePayload(used.payload) : null;
    if (!used || !payload) return { kind: 'invalid-token' };
    const user = await tx.findOne(User, { id: used.userId }, { disableIdentityMap: true });
    if (!user) return { kind: 'invalid-token' };
    const since = new Date(payload.since ?? used.createdAt.toISOString());
    const now = new Date();
    const email = await this.reclaimAddress(tx, user, payload.email, client);
    const factorAddedSince = user.totpEnabledAt !== null && user.totpEnabledAt >= since;
    await updateUser(
      tx,
      user.id,
      {},
      {
        email,
        emailVerifiedAt: now,
        passwordHash: null,
        ...(factorAddedSince
          ? { totpSecretEncrypted: null, totpEnabledAt: null, totpLastUsedStep: null, mfaRecoveryDueAt: null }
          : {}),
        totpPendingSecretEncrypted: null,
        updatedAt: now,
      },
    );
    if (factorAddedSince) await tx.nativeDelete(RecoveryCode, { user: user.id });
    await tx.nativeDelete(Passkey, { user: user.id, createdAt: { $gte: since } });
    await tx.nativeDelete(Identity, { user: user.id, linkedAt: { $gte: since } });
    await this.sessions.revokeAll(tx, user.id, 'email-change-undone', { client });
    // Every outstanding link and challenge ends, and so do undo links issued after this one (they
    // belong to later changes, made by whoever held the account then); older undo links stay.
    await tx.nativeDelete(OneTimeToken, {
      user: user.id,
      usedAt: null,
      purpose: { $ne: 'email-change-undo' },
    });
    await tx.nativeDelete(OneTimeToken, {
      user: user.id,
      usedAt: null,
      purpose: 'email-change-undo',
      createdAt: { $gte: used.createdAt },
    });
    await tx.nativeDelete(MfaChallenge, { user: user.id, consumedAt: null });
    // The owner sets a new password from the old mailbox.
    await this.outbox.enqueue(tx, { kind: 'password-reset', email });
    await this.webhooks.emit(tx, {
      type: 'user.updated',
      data: { userId: user.id, changed: ['email', 'password'], email, updatedAt: now.toISOString() },
    });
    await this.events.record({
      kind: 'email_change_undone',
      result: 'success',
      userId: user.id,
      client,
      em: tx,
    });
    return { kind: 'done', email };
  }

  /**
   * The old address back for `user`. If an account that never proved that address took it after it
   * was freed (a sign-up squatting it to block the undo), that account goes: the undo link is the
   * mailbox's proof, theirs never came. A verified holder keeps it, and the account keeps its address.
   */
  private async reclaimAddress(
    tx: EntityManager,
    user: User,
    oldEmail: string,
    client: ClientInfo,
  ): Promise<string> {
    if (user.email === oldEmail) return oldEmail;
    const holder = await tx.findOne(
      User,
      { email: oldEmail },
      { fields: ['id', 'emailVerifiedAt'], disableIdentityMap: true },
    );
    if (!holder) return oldEmail;
    if (holder.emailVerifiedAt !== null) return user.email;
    await this.sessions.revokeAll(tx, holder.id, 'account-claimed', { client });
    await deleteUser(tx, holder.id);
    await this.events.record({
      kind: 'account_deleted',
      result: 'success',
      userId: holder.id,
      detail: 'unverified holder of an address reclaimed by an email-change undo',
      client,
      em: tx,
    });
    return oldEmail;
  }
}

/**
 * A confirmation and an undo of one change at the same moment lock the same rows in opposite
 * orders (each its own token, then the user; the undo then ends the other's token), and
 * PostgreSQL ends one of them. Its work was rolled back, so it runs once more after the other: a
 * confirmation then finds its link ended by the undo, an undo finds the confirmed address and
 * takes it back. (Found by the attack pass: the loser answered INTERNAL_SERVER_ERROR.)
 */
async function onceMoreAfterDeadlock<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof DeadlockException)) throw error;
    return work();
  }
}

function parsePayload(raw: string | null): EmailChangePayload | null {
  if (raw === null) return null;
  const parsed = JSON.parse(raw) as Partial<EmailChangePayload>;
  return typeof parsed.email === 'string' ? (parsed as EmailChangePayload) : null;
}
