import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import type { SecurityEvents } from '../observability/security-events.js';
import type { AccessTokenService } from '../security/access-tokens.js';
import { clientNetwork } from '../security/client-key.js';
import type { SecretBox } from '../security/crypto.js';
import { randomToken, sha256Hex } from '../security/crypto.js';
import { toDate, toDateOrNull, toDbDate } from '../storage/db-values.js';
import type { DbDate } from '../storage/db-values.js';
import { Session } from '../storage/entities/index.js';
import { pooledQuery } from '../storage/pooled-query.js';
import { inTransaction } from '../storage/transaction.js';
import type { ClientInfo } from './client-info.js';
import { parseStoredRoles } from './roles.js';
import type { SignedIn, TokenPair } from './session.types.js';
import { absoluteEnd, isSecondFactorSession, sessionExpiry } from './session-lifetime.js';
import type { SessionLifetimes } from './session-lifetime.js';

/** The refresh token, its session and its user, read in one query. */
interface RefreshRow {
  session_id: string;
  token_expires_at: DbDate;
  rotated_at: DbDate | null;
  amr: string;
  session_created_at: DbDate;
  session_authenticated_at: DbDate | null;
  session_last_used_at: DbDate;
  session_expires_at: DbDate;
  revoked_at: DbDate | null;
  ip: string | null;
  user_agent: string | null;
  user_id: string;
  email: string;
  email_verified_at: DbDate | null;
  totp_enabled_at: DbDate | null;
  user_created_at: DbDate;
  roles: string | null;
}

const REFRESH_READ = `select rt.session_id, rt.expires_at as token_expires_at, rt.rotated_at,
  s.amr, s.created_at as session_created_at, s.authenticated_at as session_authenticated_at,
  s.last_used_at as session_last_used_at, s.expires_at as session_expires_at, s.revoked_at, s.ip, s.user_agent,
  u.id as user_id, u.email, u.email_verified_at, u.totp_enabled_at, u.created_at as user_created_at, u.roles
  from refresh_tokens rt join sessions s on s.id = rt.session_id join users u on u.id = s.user_id
  where rt.token_hash = ? limit 1`;

/**
 * PostgreSQL: the whole refresh in ONE statement and one round trip (autocommit, so atomic on its
 * own), the function `plinto_refresh_session` (Migration20261204010000_refresh_function; PL/pgSQL
 * prepares its plan once per connection). It reads the token, its session and its user; applies the
 * session-lifetime rules (src/auth/session-lifetime.ts, the same ones readValid applies in JS on
 * SQLite) and computes the successor's expiry; claims the presented token only while it is live
 * and unrotated (exactly one concurrent caller's claim matches, the others wait for its row lock
 * and then find it rotated); inserts the successor and touches the session with the grace pair
 * only if the claim won. The grace pair is sealed before the call from values that need no read
 * (the successor refresh token, the access token's `jti` and issue time, the client): the access
 * token is signed after it, from the returned row, and signed again identically for a grace hit
 * (contested()). The row comes back whatever happened: `live` false is an invalid token,
 * `next_expires_at` set means the claim won, otherwise another request rotated the token.
 * Sent with bound parameters through pooledQuery, not MikroORM's execute (which inlines them).
 */
const REFRESH_POSTGRES = 'select * from plinto_refresh_session($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)';

/** The rotation's writes, as plain SQL (portable to PostgreSQL and SQLite): no query building per refresh. */
const CLAIM_TOKEN = 'update refresh_tokens set rotated_at = ? where token_hash = ? and rotated_at is null';
const INSERT_TOKEN =
  'insert into refresh_tokens (token_hash, session_id, created_at, expires_at) values (?, ?, ?, ?)';
const TOUCH_SESSION = `update sessions set last_used_at = ?, expires_at = ?, rotation_count = rotation_count + 1,
  ip = ? where id = ?`;
const TOUCH_SESSION_WITH_GRACE = `update sessions set last_used_at = ?, expires_at = ?, rotation_count = rotation_count + 1,
  ip = ?, grace_for_token_hash = ?, grace_until = ?, grace_pair_encrypted = ? where id = ?`;

/** Runs one write inside the transaction; the number of rows it changed. */
async function run(tx: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const result = await tx
    .getConnection()
    .execute<{ affectedRows: number }>(sql, params, 'run', tx.getTransactionContext());
  return result.affectedRows;
}

export type RefreshOutcome = { kind: 'success'; signedIn: SignedIn } | { kind: 'invalid-token' };

/** How a rotation attempt ended, before the audit event. */
type Rotation =
  | { kind: 'rotated' | 'grace'; signedIn: SignedIn }
  | { kind: 'reuse'; userId: string; sessionId: string }
  | { kind: 'invalid-token' };

export const GRACE_SEAL_PURPOSE = 'refresh-grace-pair';

/**
 * What the grace window keeps, sealed: the successor refresh token and what makes its access token
 * again (its `jti` and issue time; Ed25519 signatures are deterministic, so the same claims sign to
 * the same token), none of which needs the database read. Pairs sealed before this format carry the
 * whole pair instead (`accessToken`…), for at most one grace window after an upgrade.
 */
interface SealedPair {
  refreshToken: string;
  jti?: string;
  /** Epoch milliseconds of the rotation: the access token's `iat`, the successor's `created_at`. */
  issuedAt?: number;
  accessToken?: string;
  accessTokenExpiresAt?: string;
  refreshTokenExpiresAt?: string;
  /** Who rotated: the grace pair goes back only to the same client (see clientFingerprint). */
  client?: string;
}

/** The successor, prepared before any read: its refresh token, its access token's jti, the sealed grace pair. */
interface Successor {
  refreshToken: string;
  refreshTokenHash: string;
  jti: string;
  grace: { until: Date; sealed: string } | null;
}

/**
 * "The same client" for the grace window: the same user agent from the same network (IPv4 /24,
 * IPv6 /64). A retry or a second tab matches; a thief replaying a copied token from elsewhere does
 * not, and gets reuse detection instead of the live pair.
 */
function clientFingerprint(client: ClientInfo): string {
  return sha256Hex(`${clientNetwork(client.ip) ?? 'no-address'}\n${client.userAgent ?? ''}`);
}

export interface RotationSettings extends SessionLifetimes {
  refreshTokenTtlSeconds: number;
  refreshGraceSeconds: number;
}

/**
 * Refresh-token rotation with a grace window and reuse detection: the hottest write path of the
 * API, so one joined read and plain SQL writes, no unit of work (bench/).
 */
export class RefreshRotation {
  constructor(
    private readonly accessTokens: AccessTokenService,
    private readonly box: SecretBox,
    private readonly events: SecurityEvents,
    private readonly settings: RotationSettings,
    /** Revokes the session inside the transaction: a rotated token came back after its grace window. */
    private readonly revokeForReuse: (tx: EntityManager, sessionId: string) => Promise<number>,
  ) {}

  /**
   * Rotates a refresh token. Exactly one concurrent caller wins the atomic `rotated_at IS NULL`
   * update; the others, and any retry within the grace window, get the same new pair (two tabs or
   * a mobile retry must not sign the user out). A rotated token presented after the window is
   * reuse: somebody holds a stolen copy, so the whole session is revoked.
   */
  async refresh(em: EntityManager, presented: string, client: ClientInfo): Promise<RefreshOutcome> {
    if (presented.length === 0 || presented.length > 512) return { kind: 'invalid-token' };
    const tokenHash = sha256Hex(presented);
    const outcome =
      em.getPlatform() instanceof PostgreSqlPlatform
        ? await this.rotateInOneStatement(em, tokenHash, client)
        : await inTransaction(em, (tx) => this.rotateInTransaction(tx, tokenHash, client));
    switch (outcome.kind) {
      case 'rotated':
      case 'grace': {
        const { user, session } = outcome.signedIn;
        await this.events.record({
          // Every grace hit is audited: the same pair handed out twice is worth a trace.
          kind: outcome.kind === 'grace' ? 'refresh_grace' : 'refresh',
          result: 'success',
          userId: user.id,
          sessionId: session.id,
          client,
        });
        return { kind: 'success', signedIn: outcome.signedIn };
      }
      case 'reuse':
        await this.events.record({
          kind: 'refresh_reuse_detected',
          result: 'detected',
          userId: outcome.userId,
          sessionId: outcome.sessionId,
          client,
        });
        return { kind: 'invalid-token' };
      default:
        await this.events.record({ kind: 'refresh', result: 'failure', client });
        return { kind: 'invalid-token' };
    }
  }

  /**
   * The absolute lifetime (from the sign-in) and, for a second-factor session, the idle timeout:
   * checked here as well as through expires_at, so sessions made before these limits obey them too.
   */
  private pastLifetime(row: RefreshRow, now: Date): boolean {
    const amr = row.amr.split(',');
    if (absoluteEnd(this.settings, toDate(row.session_created_at), amr) <= now) return true;
    if (!isSecondFactorSession(amr)) return false;
    const idleMs = now.getTime() - toDate(row.session_last_used_at).getTime();
    return idleMs >= this.settings.mfaSessionIdleTimeoutSeconds * 1000;
  }

  /**
   * The token, its session and its user, in one read; null when the token is unknown, expired, or
   * its session revoked or expired. Session-lifetime rules belong here: the row has the session's
   * created_at and expires_at.
   */
  private async readValid(em: EntityManager, tokenHash: string, now: Date): Promise<RefreshRow | null> {
    const rows = await em
      .getConnection()
      .execute<RefreshRow[]>(REFRESH_READ, [tokenHash], 'all', em.getTransactionContext());
    const row = rows[0];
    if (!row) return null;
    if (
      row.revoked_at !== null ||
      toDate(row.session_expires_at) <= now ||
      toDate(row.token_expires_at) <= now ||
      this.pastLifetime(row, now)
    ) {
      return null;
    }
    return row;
  }

  /** PostgreSQL: read, checks, claim and writes in REFRESH_POSTGRES; a lost claim goes to contested(). */
  private async rotateInOneStatement(
    em: EntityManager,
    tokenHash: string,
    client: ClientInfo,
  ): Promise<Rotation> {
    const now = new Date();
    const next = this.prepare(client, now);
    const { settings } = this;
    const rows = await pooledQuery<RefreshRow & { live: boolean; next_expires_at: DbDate | null }>(
      em,
      REFRESH_POSTGRES,
      [
        tokenHash,
        now,
        settings.sessionMaxLifetimeSeconds,
        Math.min(settings.mfaSessionMaxLifetimeSeconds, settings.sessionMaxLifetimeSeconds),
        settings.mfaSessionIdleTimeoutSeconds,
        settings.refreshTokenTtlSeconds,
        next.refreshTokenHash,
        client.ip ? client.ip.slice(0, 64) : null,
        next.grace ? tokenHash : null,
        next.grace?.until ?? null,
        next.grace?.sealed ?? null,
      ],
    );
    const row = rows[0];
    if (!row || !row.live) return { kind: 'invalid-token' };
    if (row.next_expires_at !== null) {
      return {
        kind: 'rotated',
        signedIn: await this.signedIn(row, next, client, now, toDate(row.next_expires_at)),
      };
    }
    // Another request rotated this token (it committed before our claim looked): grace or reuse.
    return inTransaction(em, (tx) => this.contested(tx, row, tokenHash, client, now));
  }

  /** SQLite (one writer at a time anyway): read, claim and writes in one transaction. */
  private async rotateInTransaction(
    tx: EntityManager,
    tokenHash: string,
    client: ClientInfo,
  ): Promise<Rotation> {
    const now = new Date();
    const row = await this.readValid(tx, tokenHash, now);
    if (!row) return { kind: 'invalid-token' };
    if (row.rotated_at === null) {
      const won = await run(tx, CLAIM_TOKEN, [toDbDate(tx, now), tokenHash]);
      if (won === 1) return { kind: 'rotated', signedIn: await this.rotate(tx, row, tokenHash, client, now) };
    }
    return this.contested(tx, row, tokenHash, client, now);
  }

  /**
   * The token was rotated already: the same client inside the grace window gets the pair the
   * winner committed; anyone else, or anything later, is reuse and revokes the session.
   */
  private async contested(
    tx: EntityManager,
    row: RefreshRow,
    tokenHash: string,
    client: ClientInfo,
    now: Date,
  ): Promise<Rotation> {
    const fresh = await tx.findOneOrFail(Session, row.session_id, { refresh: true, populate: ['user'] });
    if (
      fresh.graceForTokenHash === tokenHash &&
      fresh.gracePairEncrypted &&
      fresh.graceUntil &&
      fresh.graceUntil > now &&
      !fresh.revokedAt
    ) {
      const pair = JSON.parse(this.box.open(GRACE_SEAL_PURPOSE, fresh.gracePairEncrypted)) as SealedPair;
      // Only the client that rotated gets the pair again. The same token from anywhere else inside
      // the window is a copy racing its owner: reuse (a pair sealed without a client fails closed).
      if (pair.client !== undefined && pair.client === clientFingerprint(client)) {
        const tokens = await this.unsealPair(pair, fresh);
        if (tokens) return { kind: 'grace', signedIn: { user: fresh.user, session: fresh, tokens } };
      }
    }
    await this.revokeForReuse(tx, row.session_id);
    return { kind: 'reuse', userId: row.user_id, sessionId: row.session_id };
  }

  /**
   * The winner's pair again: its refresh token, and its access token signed again from the sealed
   * `jti` and issue time with the session's claims (the same token unless a role or the session's
   * auth_time changed meanwhile; then the current ones, as the next refresh would show). The
   * refresh token's expiry is the session's, which the winning rotation set.
   */
  private async unsealPair(pair: SealedPair, session: Session): Promise<TokenPair | null> {
    if (pair.accessToken !== undefined && pair.accessTokenExpiresAt && pair.refreshTokenExpiresAt) {
      return {
        accessToken: pair.accessToken,
        accessTokenExpiresAt: new Date(pair.accessTokenExpiresAt),
        refreshToken: pair.refreshToken,
        refreshTokenExpiresAt: new Date(pair.refreshTokenExpiresAt),
      };
    }
    if (pair.jti === undefined || pair.issuedAt === undefined) return null;
    const access = await this.accessTokens.issue(
      {
        userId: session.user.id,
        sessionId: session.id,
        amr: session.amr.split(',').filter(Boolean),
        authTime: session.authenticatedAt ?? session.createdAt,
        roles: session.user.roles,
      },
      new Date(pair.issuedAt),
      pair.jti,
    );
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: pair.refreshToken,
      refreshTokenExpiresAt: session.expiresAt,
    };
  }

  /** The successor's refresh token, its access token's jti and the sealed grace pair (when grace is on): no read needed. */
  private prepare(client: ClientInfo, now: Date): Successor {
    const refreshToken = randomToken();
    const jti = randomUUID();
    // The pair is kept only for the grace window, and only sealed with AUTH_SECRET.
    const grace =
      this.settings.refreshGraceSeconds > 0
        ? {
            until: new Date(now.getTime() + this.settings.refreshGraceSeconds * 1000),
            sealed: this.box.seal(
              GRACE_SEAL_PURPOSE,
              JSON.stringify({
                refreshToken,
                jti,
                issuedAt: now.getTime(),
                client: clientFingerprint(client),
              } satisfies SealedPair),
            ),
          }
        : null;
    return { refreshToken, refreshTokenHash: sha256Hex(refreshToken), jti, grace };
  }

  /** The answer of a won rotation: the access token signed from the row, the user and the session as they now are. */
  private async signedIn(
    row: RefreshRow,
    next: Successor,
    client: ClientInfo,
    now: Date,
    refreshTokenExpiresAt: Date,
  ): Promise<SignedIn> {
    const amr = row.amr.split(',').filter(Boolean);
    const roles = parseStoredRoles(row.roles);
    const access = await this.accessTokens.issue(
      {
        userId: row.user_id,
        sessionId: row.session_id,
        amr,
        // A refresh is no authentication: auth_time stays the session's last primary authentication.
        authTime: toDate(row.session_authenticated_at ?? row.session_created_at),
        // Read afresh at every refresh: a role granted or removed shows in the next access token.
        roles,
      },
      now,
      next.jti,
    );
    return {
      user: {
        id: row.user_id,
        email: row.email,
        emailVerifiedAt: toDateOrNull(row.email_verified_at),
        totpEnabledAt: toDateOrNull(row.totp_enabled_at),
        createdAt: toDate(row.user_created_at),
        roles,
      },
      session: {
        id: row.session_id,
        createdAt: toDate(row.session_created_at),
        lastUsedAt: now,
        expiresAt: refreshTokenExpiresAt,
        ip: client.ip ? client.ip.slice(0, 64) : row.ip,
        userAgent: row.user_agent,
      },
      tokens: {
        accessToken: access.token,
        accessTokenExpiresAt: access.expiresAt,
        refreshToken: next.refreshToken,
        refreshTokenExpiresAt,
      },
    };
  }

  /** SQLite's writes after a won claim (PostgreSQL does all of it in REFRESH_POSTGRES). */
  private async rotate(
    tx: EntityManager,
    row: RefreshRow,
    consumedHash: string,
    client: ClientInfo,
    now: Date,
  ): Promise<SignedIn> {
    const next = this.prepare(client, now);
    // Never past the absolute end: the refresh slides the session only up to it.
    const expiresAt = sessionExpiry(
      this.settings,
      toDate(row.session_created_at),
      row.amr.split(',').filter(Boolean),
      now,
    );
    const signedIn = await this.signedIn(row, next, client, now, expiresAt);
    await run(tx, INSERT_TOKEN, [
      next.refreshTokenHash,
      row.session_id,
      toDbDate(tx, now),
      toDbDate(tx, expiresAt),
    ]);
    // rotation_count is an SQL increment, not a read-modify-write: exact even if something else touched the row.
    if (next.grace) {
      await run(tx, TOUCH_SESSION_WITH_GRACE, [
        toDbDate(tx, now),
        toDbDate(tx, expiresAt),
        signedIn.session.ip,
        consumedHash,
        toDbDate(tx, next.grace.until),
        next.grace.sealed,
        row.session_id,
      ]);
    } else {
      await run(tx, TOUCH_SESSION, [
        toDbDate(tx, now),
        toDbDate(tx, expiresAt),
        signedIn.session.ip,
        row.session_id,
      ]);
    }
    return signedIn;
  }
}
