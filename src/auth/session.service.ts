import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import type { SecurityEvents } from '../observability/security-events.js';
import type { AccessTokenService } from '../security/access-tokens.js';
import type { SecretBox } from '../security/crypto.js';
import { randomToken, sha256Hex } from '../security/crypto.js';
import { RefreshToken, Session, User } from '../storage/entities/index.js';
import { inTransaction } from '../storage/transaction.js';
import type { ClientInfo } from './client-info.js';
import type { CachedProfile, SessionLivenessCache } from './liveness-cache.js';
import { RefreshRotation } from './refresh-rotation.js';
import type { RefreshOutcome } from './refresh-rotation.js';
import type { SessionView, SignedIn } from './session.types.js';
import { PROFILE_CACHE_FIELD } from './user.service.js';
import type { UserProfile } from './user.service.js';
import type { WebhookEmitter } from '../webhooks/webhook-outbox.js';
import { NO_WEBHOOKS } from '../webhooks/webhook-outbox.js';

export type { RefreshOutcome } from './refresh-rotation.js';
export type { SessionView, SignedIn, TokenPair } from './session.types.js';
import { sessionExpiry } from './session-lifetime.js';
import type { SessionLifetimes } from './session-lifetime.js';

export type RevokeReason =
  | 'sign-out'
  | 'sign-out-everywhere'
  | 'revoked'
  | 'refresh-reuse'
  | 'password-reset'
  | 'password-changed'
  /** The first mailbox proof of a never-verified account ended what its unverified holder had. */
  | 'account-claimed'
  /** An administrator disabled, deleted or signed out the account; the admin event is the audit record. */
  | 'admin'
  /** The owner deleted the account. */
  | 'account-deleted'
  /** The old address undid a change of email: whoever held a session may have made it. */
  | 'email-change-undone';

export interface SessionSettings extends SessionLifetimes {
  refreshTokenTtlSeconds: number;
  refreshGraceSeconds: number;
  accessTokenTtlSeconds: number;
  livenessCacheSeconds: number;
}

/**
 * PostgreSQL, every sign-in: the session, its refresh token and the session.created deliveries
 * (InlineDeliveries: none when no enabled endpoint subscribes) in one statement, which is atomic
 * on its own, where it was BEGIN, the inserts, the endpoints' read and COMMIT (issue 24, sign-in
 * profile; issue 22, sign-up with an endpoint).
 */
const CREATE_SESSION_POSTGRES = `with session as (
  insert into sessions (id, user_id, amr, created_at, last_used_at, authenticated_at, expires_at, ip, user_agent)
  values (?, ?, ?, ?, ?, ?, ?, ?, ?)
  returning id
), token as (
  insert into refresh_tokens (token_hash, session_id, created_at, expires_at) select ?, id, ?, ? from session
)`;

export type ReauthenticatedToken = { accessToken: string; accessTokenExpiresAt: Date; authTime: Date };

/** Sessions, refresh rotation with reuse detection, revocation and the liveness check. */
export class SessionService {
  private readonly rotation: RefreshRotation;

  constructor(
    private readonly accessTokens: AccessTokenService,
    private readonly liveness: SessionLivenessCache,
    box: SecretBox,
    private readonly events: SecurityEvents,
    private readonly settings: SessionSettings,
    private readonly webhooks: WebhookEmitter = NO_WEBHOOKS,
  ) {
    this.rotation = new RefreshRotation(accessTokens, box, events, settings, (tx, sessionId) =>
      this.revokeWhere(tx, { id: sessionId }, 'refresh-reuse'),
    );
  }

  async create(em: EntityManager, user: UserProfile, amr: string[], client: ClientInfo): Promise<SignedIn> {
    const now = new Date();
    const refreshTokenExpiresAt = sessionExpiry(this.settings, now, amr, now);
    const session: SessionView = {
      id: randomUUID(),
      createdAt: now,
      lastUsedAt: now,
      expiresAt: refreshTokenExpiresAt,
      ip: client.ip?.slice(0, 64) ?? null,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
    };
    const refreshToken = randomToken();
    const tokenHash = sha256Hex(refreshToken);
    const amrText = amr.join(',');
    const event = {
      type: 'session.created' as const,
      data: {
        userId: user.id,
        sessionId: session.id,
        amr,
        createdAt: now.toISOString(),
        expiresAt: refreshTokenExpiresAt.toISOString(),
        ip: session.ip,
        userAgent: session.userAgent,
      },
    };
    if (this.webhooks.inline && em.getPlatform() instanceof PostgreSqlPlatform) {
      const deliveries = this.webhooks.inline(em, event, 'session', now);
      const [row] = await em
        .getConnection()
        .execute<Array<{ webhook_deliveries: unknown }>>(
          `${CREATE_SESSION_POSTGRES}${deliveries.ctes}\nselect ${deliveries.column}`,
          [
            session.id,
            user.id,
            amrText,
            now,
            now,
            now,
            refreshTokenExpiresAt,
            session.ip,
            session.userAgent,
            tokenHash,
            now,
            refreshTokenExpiresAt,
            ...deliveries.params,
          ],
          'all',
          em.getTransactionContext(),
        );
      deliveries.written(row?.webhook_deliveries ?? []);
    } else {
      // Two plain inserts and the event's deliveries, together or not at all, and no unit of work.
      const write = async (tx: EntityManager) => {
        await tx.insert(Session, { ...session, user: user.id, amr: amrText, authenticatedAt: now });
        await tx.insert(RefreshToken, {
          tokenHash,
          session: session.id,
          createdAt: now,
          expiresAt: refreshTokenExpiresAt,
        });
        await this.webhooks.emit(tx, event);
      };
      if (em.isInTransaction()) await write(em);
      else await inTransaction(em, write);
    }
    const access = await this.accessTokens.issue(
      // A new session is a primary authentication: auth_time is now.
      { userId: user.id, sessionId: session.id, amr, authTime: now, roles: user.roles },
      now,
    );
    await this.liveness.set(session.id, 'live', this.liveTtl(session.expiresAt));
    return {
      user: profileOf(user),
      session,
      tokens: {
        accessToken: access.token,
        accessTokenExpiresAt: access.expiresAt,
        refreshToken,
        refreshTokenExpiresAt,
      },
    };
  }

  /**
   * Step-up: the session's user proved a primary factor again (reauthenticate). Records the time on
   * the session and issues an access token whose `auth_time` is now; null when the session is not live.
   */
  async reauthenticated(
    em: EntityManager,
    userId: string,
    sessionId: string,
  ): Promise<ReauthenticatedToken | null> {
    const now = new Date();
    const session = await em.findOne(
      Session,
      { id: sessionId, user: userId, revokedAt: null, expiresAt: { $gt: now } },
      { fields: ['amr'], disableIdentityMap: true },
    );
    if (!session) return null;
    const user = await em.findOne(User, { id: userId }, { fields: ['roles'], disableIdentityMap: true });
    if (!user) return null;
    const updated = await em.nativeUpdate(
      Session,
      { id: sessionId, user: userId, revokedAt: null },
      { authenticatedAt: now },
    );
    if (updated !== 1) return null;
    const access = await this.accessTokens.issue(
      { userId, sessionId, amr: session.amr.split(',').filter(Boolean), authTime: now, roles: user.roles },
      now,
    );
    return { accessToken: access.token, accessTokenExpiresAt: access.expiresAt, authTime: now };
  }

  /** Rotates a refresh token (see RefreshRotation): a new pair, the grace pair, or reuse detected. */
  async refresh(em: EntityManager, presented: string, client: ClientInfo): Promise<RefreshOutcome> {
    return this.rotation.refresh(em, presented, client);
  }

  /** Revokes one of the user's own sessions; false when it is not theirs or not live (no difference shown). */
  async revoke(
    em: EntityManager,
    userId: string,
    sessionId: string,
    reason: RevokeReason,
    client: ClientInfo | null = null,
  ): Promise<boolean> {
    const count = await this.revokeWhere(em, { id: sessionId, user: userId }, reason);
    if (count > 0) await this.recordRevocation(em, reason, userId, sessionId, client);
    return count > 0;
  }

  async revokeAll(
    em: EntityManager,
    userId: string,
    reason: RevokeReason,
    options: { exceptSessionId?: string; client?: ClientInfo | null } = {},
  ): Promise<number> {
    const where = options.exceptSessionId
      ? { user: userId, id: { $ne: options.exceptSessionId } }
      : { user: userId };
    const count = await this.revokeWhere(em, where, reason);
    if (count > 0) await this.recordRevocation(em, reason, userId, null, options.client ?? null);
    return count;
  }

  /**
   * Password flows record their own event; sign-out and explicit revocation are recorded here, on
   * the caller's EntityManager: inside a transaction the audit row joins it instead of waiting for
   * a second pooled connection.
   */
  private async recordRevocation(
    em: EntityManager,
    reason: RevokeReason,
    userId: string,
    sessionId: string | null,
    client: ClientInfo | null,
  ): Promise<void> {
    if (reason === 'sign-out' || reason === 'sign-out-everywhere') {
      await this.events.record({ kind: 'sign_out', result: 'success', userId, sessionId, client, em });
    } else if (reason === 'revoked') {
      await this.events.record({ kind: 'session_revoked', result: 'success', userId, sessionId, client, em });
    }
  }

  private async revokeWhere(
    em: EntityManager,
    where: Record<string, unknown>,
    reason: RevokeReason,
  ): Promise<number> {
    const now = new Date();
    const live = await em.find(Session, { ...where, revokedAt: null }, { fields: ['id', 'user'] });
    if (live.length === 0) return 0;
    const ids = live.map((s) => s.id);
    // The revocation and its session.revoked webhook event: together or not at all.
    const write = async (tx: EntityManager) => {
      const revoked = await tx.nativeUpdate(
        Session,
        { id: { $in: ids }, revokedAt: null },
        {
          revokedAt: now,
          revokedReason: reason,
          gracePairEncrypted: null,
          graceForTokenHash: null,
          graceUntil: null,
        },
      );
      const byUser = new Map<string, string[]>();
      for (const s of live) {
        const userId = s.user.id;
        byUser.set(userId, [...(byUser.get(userId) ?? []), s.id]);
      }
      for (const [userId, sessionIds] of byUser) {
        await this.webhooks.emit(tx, {
          type: 'session.revoked',
          data: { userId, sessionIds, reason, revokedAt: now.toISOString() },
        });
      }
      return revoked;
    };
    const count = em.isInTransaction() ? await write(em) : await inTransaction(em, write);
    // Refused at once by every replica: the access tokens of these sessions are still unexpired JWTs.
    await Promise.all(
      ids.map((id) => this.liveness.set(id, 'revoked', this.settings.accessTokenTtlSeconds + 60)),
    );
    return count;
  }

  /** Is the access token's session still live? Cached; a miss or a cache outage asks the database. */
  async isLive(em: EntityManager, sessionId: string, userId: string): Promise<boolean> {
    return (await this.check(em, sessionId, userId)).live;
  }

  /**
   * The liveness check of every authenticated request, which also brings the user's cached
   * profile in the same cache round trip (for `me`: UserService.profile), so that a warm `me`
   * costs one Redis round trip and no SQL.
   */
  async check(
    em: EntityManager | (() => EntityManager),
    sessionId: string,
    userId: string,
  ): Promise<{ live: boolean; profile: CachedProfile }> {
    const { liveness, profile } = await this.liveness.lookup(sessionId, userId, PROFILE_CACHE_FIELD);
    if (liveness) return { live: liveness === 'live', profile };
    const manager = typeof em === 'function' ? em() : em;
    return { live: await this.liveFromDatabase(manager, sessionId, userId), profile };
  }

  private async liveFromDatabase(em: EntityManager, sessionId: string, userId: string): Promise<boolean> {
    const session = await em.findOne(
      Session,
      { id: sessionId, user: userId },
      { fields: ['revokedAt', 'expiresAt'] },
    );
    const live = !!session && !session.revokedAt && session.expiresAt > new Date();
    await this.liveness.set(
      sessionId,
      live ? 'live' : 'revoked',
      live && session ? this.liveTtl(session.expiresAt) : this.settings.accessTokenTtlSeconds + 60,
    );
    return live;
  }

  async list(em: EntityManager, userId: string): Promise<Session[]> {
    return em.find(
      Session,
      { user: userId, revokedAt: null, expiresAt: { $gt: new Date() } },
      { orderBy: { lastUsedAt: 'desc' } },
    );
  }

  async countLive(em: EntityManager): Promise<number> {
    return em.count(Session, { revokedAt: null, expiresAt: { $gt: new Date() } });
  }

  private liveTtl(expiresAt: Date): number {
    const untilExpiry = (expiresAt.getTime() - Date.now()) / 1000;
    return Math.max(1, Math.min(this.settings.livenessCacheSeconds, untilExpiry));
  }
}

/** Only what a sign-in answer shows of the user, never the entity with its hash and secrets. */
function profileOf(user: UserProfile): UserProfile {
  return {
    id: user.id,
    email: user.email,
    emailVerifiedAt: user.emailVerifiedAt,
    totpEnabledAt: user.totpEnabledAt,
    createdAt: user.createdAt,
    roles: user.roles,
  };
}
