import { randomUUID } from 'node:crypto';
import { deleteUser, updateUser } from '../../storage/user-rows.js';
import type { EntityManager } from '@mikro-orm/core';
import type { SecurityEventKind, SecurityEvents } from '../../observability/security-events.js';
import type { MailOutbox } from '../../mail/mail-outbox.js';
import { AuditEvent, OneTimeToken, RecoveryCode, Session, User } from '../../storage/entities/index.js';
import { inTransaction } from '../../storage/transaction.js';
import type { ClientInfo } from '../client-info.js';
import { normaliseEmail, parseEmail } from '../email.js';
import type { LoginFailureCounter } from '../login-failure-counter.js';
import { roleLikePattern, storedRoles, validateRoles } from '../roles.js';
import type { SessionService } from '../session.service.js';
import { InvalidInputError } from '../../domain-errors.js';
import type { WebhookEmitter } from '../../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../../webhooks/webhook-outbox.js';
import { securityNotice } from '../../mail/mail-jobs.js';

/** Who acts: an administrator's session or an API key (named in the audit trail). */
export type AdminActor =
  | { kind: 'user'; userId: string; client: ClientInfo }
  | { kind: 'key'; keyId: string; name: string; client: ClientInfo };

export interface AdminUserFilter {
  query?: string | null;
  verified?: boolean | null;
  disabled?: boolean | null;
  hasMfa?: boolean | null;
  provider?: string | null;
  role?: string | null;
}

export interface AdminUserRow {
  id: string;
  email: string;
  emailVerifiedAt: Date | null;
  totpEnabledAt: Date | null;
  roles: string[];
  createdAt: Date;
  disabledAt: Date | null;
  disabledReason: string | null;
  displayName: string | null;
  publicMetadata: string | null;
  privateMetadata: string | null;
  hasPassword: boolean;
}

export interface AdminUserDetail extends AdminUserRow {
  sessions: Session[];
  lastSignInAt: Date | null;
  recoveryCodesLeft: number;
  recentEvents: AuditEvent[];
}

export const ADMIN_PAGE_MAX = 100;
/** Metadata is JSON text of at most this many bytes (public and private each). */
export const METADATA_MAX_BYTES = 4096;

export type AdminOutcome =
  { kind: 'done'; user: AdminUserRow } | { kind: 'not-found' } | { kind: 'email-taken' };

export interface AdminUserUpdate {
  email?: string | null;
  verified?: boolean | null;
  roles?: string[] | null;
  displayName?: string | null;
  publicMetadata?: string | null;
  privateMetadata?: string | null;
}

/** Metadata: a JSON object, at most METADATA_MAX_BYTES; returned re-serialised (canonical spacing). */
export function validateMetadata(raw: string, field: string): string {
  if (Buffer.byteLength(raw, 'utf8') > METADATA_MAX_BYTES) {
    throw new InvalidInputError(`Metadata is at most ${METADATA_MAX_BYTES} bytes of JSON.`, field);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new InvalidInputError('Metadata must be valid JSON.', field);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError('Metadata must be a JSON object.', field);
  }
  return JSON.stringify(value);
}

export function validateDisplayName(raw: string): string | null {
  const name = raw.normalize('NFKC').trim();
  if (name.length > 100 || /[\p{Cc}\p{Cf}]/u.test(name)) {
    throw new InvalidInputError(
      'A display name is at most 100 characters, without control characters.',
      'displayName',
    );
  }
  return name === '' ? null : name;
}

const USER_COLUMNS = `id, email, email_verified_at, totp_enabled_at, roles, created_at, disabled_at,
  disabled_reason, display_name, public_metadata, private_metadata, password_hash is not null as has_password`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function decodeAuditCursor(cursor: string): { createdAt: Date; id: string } | null {
  if (cursor.length > 200) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [millis, id] = value as [unknown, unknown];
    if (!Number.isSafeInteger(millis) || typeof id !== 'string' || !UUID.test(id)) return null;
    return { createdAt: new Date(millis as number), id };
  } catch {
    return null;
  }
}

/** The administrator behind an action for webhook payloads (null for an API key). */
function actorUserId(actor: AdminActor): string | null {
  return actor.kind === 'user' ? actor.userId : null;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The cursor is the last row's (normalised, unique) email: the order is by email, stable and indexed. */
export function encodeUserCursor(email: string): string {
  return Buffer.from(email, 'utf8').toString('base64url');
}

function decodeUserCursor(cursor: string): string | null {
  if (cursor.length > 500) return null;
  const email = Buffer.from(cursor, 'base64url').toString('utf8');
  // No control characters (a NUL byte would reach PostgreSQL as a driver error): not an address.
  return email.length > 0 && email.length <= 320 && !/\p{Cc}/u.test(email) ? email : null;
}

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value as string | number);
}

function rowOf(row: Record<string, unknown>): AdminUserRow {
  return {
    id: row.id as string,
    email: row.email as string,
    emailVerifiedAt: toDate(row.email_verified_at),
    totpEnabledAt: toDate(row.totp_enabled_at),
    roles: String(row.roles ?? '')
      .split(',')
      .filter(Boolean),
    createdAt: toDate(row.created_at)!,
    disabledAt: toDate(row.disabled_at),
    disabledReason: (row.disabled_reason as string | null) ?? null,
    displayName: (row.display_name as string | null) ?? null,
    publicMetadata: (row.public_metadata as string | null) ?? null,
    privateMetadata: (row.private_metadata as string | null) ?? null,
    hasPassword: row.has_password === true || row.has_password === 1 || row.has_password === 't',
  };
}

/**
 * The admin API (issue 21). Every action writes one audit event whose `userId` is the target and
 * whose `actor` is the administrator (`user:<id>`) or the API key (`key:<id>`, detail names it).
 */
export class AdminService {
  constructor(
    private readonly sessions: SessionService,
    private readonly loginFailures: LoginFailureCounter,
    private readonly mailOutbox: MailOutbox,
    private readonly events: SecurityEvents,
    private readonly webhooks: WebhookEmitter = NO_WEBHOOKS,
  ) {}

  async listUsers(
    em: EntityManager,
    filter: AdminUserFilter,
    first: number,
    after: string | null,
  ): Promise<{ users: AdminUserRow[]; hasNextPage: boolean }> {
    if (!Number.isInteger(first) || first < 1 || first > ADMIN_PAGE_MAX) {
      throw new InvalidInputError(`first must be between 1 and ${ADMIN_PAGE_MAX}.`, 'first');
    }
    const where: string[] = [];
    const params: unknown[] = [];
    if (after) {
      const email = decodeUserCursor(after);
      if (!email) throw new InvalidInputError('Unknown cursor.', 'after');
      where.push('email > ?');
      params.push(email);
    }
    const query = filter.query ? normaliseEmail(filter.query) : '';
    if (query.length > 320 || /\p{Cc}/u.test(query)) {
      throw new InvalidInputError(
        'The search is at most 320 characters, without control characters.',
        'query',
      );
    }
    if (query) {
      // A prefix of the normalised email: the index answers it (text_pattern_ops on PostgreSQL).
      where.push(`email like ? escape '\\'`);
      params.push(`${escapeLike(query)}%`);
    }
    const flag = (value: boolean | null | undefined, column: string) => {
      if (value === true) where.push(`${column} is not null`);
      if (value === false) where.push(`${column} is null`);
    };
    flag(filter.verified, 'email_verified_at');
    flag(filter.disabled, 'disabled_at');
    flag(filter.hasMfa, 'totp_enabled_at');
    if (filter.role) {
      const check = validateRoles([filter.role]);
      if (!check.ok) throw new InvalidInputError(check.problem, 'role');
      where.push('roles like ?');
      params.push(roleLikePattern(check.roles[0]!));
    }
    if (filter.provider) {
      // Until social sign-in stores identities, the providers are the password and emailed links.
      if (filter.provider === 'password') where.push('password_hash is not null');
      else if (filter.provider === 'email') where.push('password_hash is null');
      else throw new InvalidInputError('Unknown provider: use "password" or "email".', 'provider');
    }
    const sql = `select ${USER_COLUMNS} from users${where.length ? ` where ${where.join(' and ')}` : ''}
      order by email asc limit ?`;
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(sql, [...params, first + 1]);
    return { users: rows.slice(0, first).map(rowOf), hasNextPage: rows.length > first };
  }

  /** Audit events across users, newest first; cursor = (time, id) as in the user's own log. */
  async auditPage(
    em: EntityManager,
    filter: { userId?: string | null; actor?: string | null; kind?: string | null },
    first: number,
    after: string | null,
  ): Promise<{ events: AuditEvent[]; hasNextPage: boolean }> {
    if (!Number.isInteger(first) || first < 1 || first > ADMIN_PAGE_MAX) {
      throw new InvalidInputError(`first must be between 1 and ${ADMIN_PAGE_MAX}.`, 'first');
    }
    const where: Record<string, unknown> = {};
    if (filter.userId) {
      if (!UUID.test(filter.userId)) throw new InvalidInputError('userId is a user id.', 'userId');
      where.userId = filter.userId;
    }
    for (const field of ['actor', 'kind'] as const) {
      const value = filter[field];
      if (!value) continue;
      // A NUL byte would reach PostgreSQL as a driver error: no control characters in a filter.
      if (/\p{Cc}/u.test(value)) throw new InvalidInputError(`${field} has control characters.`, field);
      where[field] = value.slice(0, 48);
    }
    if (after) {
      const position = decodeAuditCursor(after);
      if (!position) throw new InvalidInputError('Unknown cursor.', 'after');
      where.$or = [
        { createdAt: { $lt: position.createdAt } },
        { createdAt: position.createdAt, id: { $lt: position.id } },
      ];
    }
    const rows = await em.find(AuditEvent, where, {
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      limit: first + 1,
    });
    return { events: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  async findUser(em: EntityManager, id: string): Promise<AdminUserRow | null> {
    const rows = await em
      .getConnection()
      .execute<Record<string, unknown>[]>(`select ${USER_COLUMNS} from users where id = ? limit 1`, [id]);
    return rows[0] ? rowOf(rows[0]) : null;
  }

  async userDetail(em: EntityManager, id: string): Promise<AdminUserDetail | null> {
    const user = await this.findUser(em, id);
    if (!user) return null;
    const [sessions, latest, recoveryCodesLeft, recentEvents] = await Promise.all([
      this.sessions.list(em, id),
      em.findOne(Session, { user: id }, { orderBy: { createdAt: 'desc' }, fields: ['createdAt'] }),
      em.count(RecoveryCode, { user: id, usedAt: null }),
      em.find(AuditEvent, { userId: id }, { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: 20 }),
    ]);
    return { ...user, sessions, lastSignInAt: latest?.createdAt ?? null, recoveryCodesLeft, recentEvents };
  }

  async createUser(
    em: EntityManager,
    actor: AdminActor,
    rawEmail: string,
    rawRoles: string[],
    sendInvite: boolean,
  ): Promise<AdminOutcome> {
    const email = parseEmail(rawEmail);
    if (!email) throw new InvalidInputError('Enter a valid email address.', 'email');
    const roles = this.roles(rawRoles);
    const id = randomUUID();
    const created = await inTransaction(em, async (tx) => {
      if (await tx.findOne(User, { email }, { fields: ['id'] })) return false;
      const now = new Date();
      await tx.insert(User, { id, email, roles, createdAt: now, updatedAt: now });
      // The invite's link is a password-reset token: using it sets the password and proves the address.
      if (sendInvite) await this.mailOutbox.enqueue(tx, { kind: 'admin-invite', userId: id });
      await this.audit(tx, 'admin_user_created', actor, id, roles.length ? `roles ${roles.join(' ')}` : null);
      await this.webhooks.emit(tx, {
        type: 'user.created',
        data: { userId: id, email, emailVerified: false, createdAt: now.toISOString() },
      });
      return true;
    }).catch((error: unknown) => {
      // Two creations of one address at once: the unique index decides, the loser is told it is taken.
      if (error instanceof Error && /unique|duplicate/i.test(error.message)) return false;
      throw error;
    });
    if (!created) return { kind: 'email-taken' };
    return { kind: 'done', user: (await this.findUser(em, id))! };
  }

  async updateUser(
    em: EntityManager,
    actor: AdminActor,
    id: string,
    update: AdminUserUpdate,
  ): Promise<AdminOutcome> {
    const user = await em.findOne(User, { id });
    if (!user) return { kind: 'not-found' };
    const changes: Partial<User> = {};
    const changed: string[] = [];
    if (update.email !== undefined && update.email !== null) {
      const email = parseEmail(update.email);
      if (!email) throw new InvalidInputError('Enter a valid email address.', 'email');
      if (email !== user.email) {
        if (await em.findOne(User, { email }, { fields: ['id'] })) return { kind: 'email-taken' };
        changes.email = email;
        changed.push('email');
      }
    }
    if (update.verified !== undefined && update.verified !== null) {
      changes.emailVerifiedAt = update.verified ? (user.emailVerifiedAt ?? new Date()) : null;
      changed.push('verified');
    }
    if (update.roles) {
      changes.roles = this.roles(update.roles);
      changed.push('roles');
    }
    if (update.displayName !== undefined && update.displayName !== null) {
      changes.displayName = validateDisplayName(update.displayName);
      changed.push('displayName');
    }
    for (const field of ['publicMetadata', 'privateMetadata'] as const) {
      const raw = update[field];
      if (raw !== undefined && raw !== null) {
        changes[field] = raw === '' ? null : validateMetadata(raw, field);
        changed.push(field);
      }
    }
    await inTransaction(em, async (tx) => {
      if (changed.length > 0) {
        const now = new Date();
        // Only what changed: an explicit `roles: undefined` was written as no roles (an edit of a
        // display name demoted an administrator).
        await updateUser(tx, id, {}, { ...changes, updatedAt: now });
        // Links mailed to the old address stop working when an administrator moves the account.
        if (changes.email) {
          await tx.nativeDelete(OneTimeToken, {
            user: id,
            usedAt: null,
            purpose: { $in: ['password-reset', 'magic-link', 'email-verification', 'mfa-recovery'] },
          });
        }
        await this.webhooks.emit(tx, {
          type: 'user.updated',
          data: {
            userId: id,
            changed,
            ...(changes.email ? { email: changes.email } : {}),
            updatedAt: now.toISOString(),
          },
        });
      }
      await this.audit(tx, 'admin_user_updated', actor, id, changed.join(' ') || 'nothing');
      if (changes.roles)
        await this.audit(tx, 'roles_changed', actor, id, `roles ${storedRoles(changes.roles)}`);
    });
    return { kind: 'done', user: (await this.findUser(em, id))! };
  }

  /** Disabled at once: every session revoked (the liveness cache refuses their access tokens on every replica). */
  async disableUser(em: EntityManager, actor: AdminActor, id: string, reason: string): Promise<AdminOutcome> {
    const why = reason.normalize('NFKC').trim();
    if (why.length === 0 || why.length > 200 || /\p{Cc}/u.test(why)) {
      throw new InvalidInputError(
        'Give a reason of 1 to 200 characters, without control characters.',
        'reason',
      );
    }
    if (actor.kind === 'user' && actor.userId === id) {
      throw new InvalidInputError('You cannot disable your own account.', 'id');
    }
    return this.change(em, actor, id, 'admin_user_disabled', why, async (tx) => {
      const now = new Date();
      await updateUser(tx, id, {}, { disabledAt: now, disabledReason: why });
      await this.sessions.revokeAll(tx, id, 'admin');
      await this.webhooks.emit(tx, {
        type: 'user.disabled',
        data: { userId: id, disabledAt: now.toISOString(), byUserId: actorUserId(actor) },
      });
    });
  }

  async enableUser(em: EntityManager, actor: AdminActor, id: string): Promise<AdminOutcome> {
    return this.change(em, actor, id, 'admin_user_enabled', null, async (tx) => {
      await updateUser(tx, id, {}, { disabledAt: null, disabledReason: null });
      await this.webhooks.emit(tx, {
        type: 'user.enabled',
        data: { userId: id, enabledAt: new Date().toISOString(), byUserId: actorUserId(actor) },
      });
    });
  }

  /** Clears the sign-in failure lock on the account's address (the owner can sign in again at once). */
  async unlockUser(em: EntityManager, actor: AdminActor, id: string): Promise<AdminOutcome> {
    const user = await this.findUser(em, id);
    if (!user) return { kind: 'not-found' };
    await this.loginFailures.clear(user.email);
    return this.change(em, actor, id, 'admin_user_unlocked', null, async () => undefined);
  }

  async revokeSessions(em: EntityManager, actor: AdminActor, id: string): Promise<AdminOutcome> {
    let count = 0;
    const outcome = await this.change(em, actor, id, 'admin_sessions_revoked', null, async (tx) => {
      count = await this.sessions.revokeAll(tx, id, 'admin');
    });
    void count;
    return outcome;
  }

  /** Removes TOTP and the recovery codes; the owner is told by mail (security-notice `mfa-disabled`). */
  async resetMfa(em: EntityManager, actor: AdminActor, id: string): Promise<AdminOutcome> {
    return this.change(em, actor, id, 'admin_mfa_reset', null, async (tx) => {
      const before = await tx.findOne(User, { id }, { fields: ['totpEnabledAt'], disableIdentityMap: true });
      await updateUser(
        tx,
        id,
        {},
        {
          totpSecretEncrypted: null,
          totpPendingSecretEncrypted: null,
          totpEnabledAt: null,
          totpLastUsedStep: null,
        },
      );
      await tx.nativeDelete(RecoveryCode, { user: id });
      await this.mailOutbox.enqueue(
        tx,
        securityNotice(id, 'mfa-disabled', actor.client, new Date(), 'by an administrator'),
      );
      if (before?.totpEnabledAt) {
        await this.webhooks.emit(tx, {
          type: 'mfa.disabled',
          data: { userId: id, method: 'totp', disabledAt: new Date().toISOString() },
        });
      }
    });
  }

  async sendPasswordReset(em: EntityManager, actor: AdminActor, id: string): Promise<AdminOutcome> {
    const user = await this.findUser(em, id);
    if (!user) return { kind: 'not-found' };
    return this.change(em, actor, id, 'admin_password_reset_sent', null, async (tx) => {
      await this.mailOutbox.enqueue(tx, { kind: 'password-reset', email: user.email });
    });
  }

  /** Erases the account (see eraseAccount); the audit trail keeps only the random user id. */
  async deleteUser(em: EntityManager, actor: AdminActor, id: string): Promise<boolean> {
    if (actor.kind === 'user' && actor.userId === id) {
      throw new InvalidInputError('Delete your own account with deleteAccount.', 'id');
    }
    const erased = await inTransaction(em, (tx) =>
      eraseAccount(tx, this.sessions, this.mailOutbox, id, 'admin', this.webhooks),
    );
    if (!erased) return false;
    await this.audit(em, 'admin_user_deleted', actor, id, null);
    return true;
  }

  private roles(raw: string[]): string[] {
    const check = validateRoles(raw);
    if (!check.ok) throw new InvalidInputError(check.problem, 'roles');
    return check.roles;
  }

  private async change(
    em: EntityManager,
    actor: AdminActor,
    id: string,
    kind: SecurityEventKind,
    detail: string | null,
    work: (tx: EntityManager) => Promise<void>,
  ): Promise<AdminOutcome> {
    const done = await inTransaction(em, async (tx) => {
      if (!(await tx.findOne(User, { id }, { fields: ['id'] }))) return false;
      await work(tx);
      await this.audit(tx, kind, actor, id, detail);
      return true;
    });
    if (!done) return { kind: 'not-found' };
    return { kind: 'done', user: (await this.findUser(em, id))! };
  }

  async audit(
    em: EntityManager,
    kind: SecurityEventKind,
    actor: AdminActor,
    targetUserId: string | null,
    detail: string | null,
  ): Promise<void> {
    const via = actor.kind === 'key' ? `key "${actor.name}"` : null;
    await this.events.record({
      kind,
      result: 'success',
      userId: targetUserId,
      client: actor.client,
      actor: actor.kind === 'user' ? `user:${actor.userId}` : `key:${actor.keyId}`,
      detail: [via, detail].filter(Boolean).join('; ') || null,
      em,
    });
  }
}

/**
 * Erases an account: every session revoked (refused at once everywhere), then the users row
 * deleted; sessions, refresh tokens, emailed tokens, MFA challenges and recovery codes go with it
 * (foreign keys cascade), and with it the address, the password hash and the second factor. The
 * audit trail keeps its rows: they name only the random user id. A confirmation mail goes to the
 * erased address (sealed in the outbox until sent, then deleted).
 */
export async function eraseAccount(
  tx: EntityManager,
  sessions: SessionService,
  mailOutbox: MailOutbox,
  userId: string,
  reason: 'admin' | 'account-deleted',
  webhooks: WebhookEmitter = NO_WEBHOOKS,
): Promise<boolean> {
  const user = await tx.findOne(User, { id: userId }, { fields: ['email'] });
  if (!user) return false;
  await sessions.revokeAll(tx, userId, reason);
  await deleteUser(tx, userId);
  await webhooks.emit(tx, { type: 'user.deleted', data: { userId, deletedAt: new Date().toISOString() } });
  await mailOutbox.enqueue(tx, { kind: 'account-deleted', to: user.email });
  return true;
}
