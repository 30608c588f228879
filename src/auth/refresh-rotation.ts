import type { EntityManager } from '@mikro-orm/core';
import type { SecurityEvents } from '../observability/security-events.js';
import type { AccessTokenService } from '../security/access-tokens.js';
import { clientNetwork } from '../security/client-key.js';
import type { SecretBox } from '../security/crypto.js';
import { randomToken, sha256Hex } from '../security/crypto.js';
import { toDate, toDateOrNull, toDbDate } from '../storage/db-values.js';
import type { DbDate } from '../storage/db-values.js';
import { Session } from '../storage/entities/index.js';
import { inTransaction } from '../storage/transaction.js';
import type { ClientInfo } from './client-info.js';
import { parseStoredRoles } from './roles.js';
import type { SignedIn, TokenPair } from './session.types.js';

/** The refresh token, its session and its user, read in one query. */
interface RefreshRow {
  session_id: string;
  token_expires_at: DbDate;
  rotated_at: DbDate | null;
  amr: string;
  session_created_at: DbDate;
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
  s.amr, s.created_at as session_created_at, s.expires_at as session_expires_at, s.revoked_at, s.ip, s.user_agent,
  u.id as user_id, u.email, u.email_verified_at, u.totp_enabled_at, u.created_at as user_created_at, u.roles
  from refresh_tokens rt join sessions s on s.id = rt.session_id join users u on u.id = s.user_id
  where rt.token_hash = ? limit 1`;

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

export const GRACE_SEAL_PURPOSE = 'refresh-grace-pair';

interface SealedPair {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  /** Who rotated: the grace pair goes back only to the same client (see sameClient). */
  client?: string;
}

/**
 * "The same client" for the grace window: the same user agent from the same network (IPv4 /24,
 * IPv6 /64). A retry or a second tab matches; a thief replaying a copied token from elsewhere does
 * not, and gets reuse detection instead of the live pair.
 */
function clientFingerprint(client: ClientInfo): string {
  return sha256Hex(`${clientNetwork(client.ip) ?? 'no-address'}\n${client.userAgent ?? ''}`);
}

export interface RotationSettings {
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
    const outcome = await inTransaction(em, async (tx) => {
      const now = new Date();
      // The hottest write path: one plain read and native writes, no unit of work (bench/).
      const rows = await tx
        .getConnection()
        .execute<RefreshRow[]>(REFRESH_READ, [tokenHash], 'all', tx.getTransactionContext());
      const row = rows[0];
      if (!row) return { kind: 'invalid-token' } as const;
      if (
        row.revoked_at !== null ||
        toDate(row.session_expires_at) <= now ||
        toDate(row.token_expires_at) <= now
      ) {
        return { kind: 'invalid-token' } as const;
      }
      if (row.rotated_at === null) {
        const won = await run(tx, CLAIM_TOKEN, [toDbDate(tx, now), tokenHash]);
        if (won === 1)
          return { kind: 'rotated', signedIn: await this.rotate(tx, row, tokenHash, client, now) } as const;
      }
      // Another request rotated this token: read the grace pair it committed.
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
          return {
            kind: 'grace',
            signedIn: { user: fresh.user, session: fresh, tokens: unsealPair(pair) },
          } as const;
        }
      }
      await this.revokeForReuse(tx, row.session_id);
      return { kind: 'reuse', userId: row.user_id, sessionId: row.session_id } as const;
    });
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

  private async rotate(
    tx: EntityManager,
    row: RefreshRow,
    consumedHash: string,
    client: ClientInfo,
    now: Date,
  ): Promise<SignedIn> {
    const refreshTokenExpiresAt = new Date(now.getTime() + this.settings.refreshTokenTtlSeconds * 1000);
    const refreshToken = randomToken();
    await run(tx, INSERT_TOKEN, [
      sha256Hex(refreshToken),
      row.session_id,
      toDbDate(tx, now),
      toDbDate(tx, refreshTokenExpiresAt),
    ]);
    const access = await this.accessTokens.issue(
      {
        userId: row.user_id,
        sessionId: row.session_id,
        amr: row.amr.split(',').filter(Boolean),
        // A refresh is no authentication: auth_time stays the session's sign-in.
        authTime: toDate(row.session_created_at),
        // Read afresh at every refresh: a role granted or removed shows in the next access token.
        roles: parseStoredRoles(row.roles),
      },
      now,
    );
    const tokens: TokenPair = {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt,
    };
    const ip = client.ip ? client.ip.slice(0, 64) : row.ip;
    // rotation_count is an SQL increment, not a read-modify-write: exact even if something else touched the row.
    if (this.settings.refreshGraceSeconds > 0) {
      // The pair is kept only for the grace window, and only sealed with AUTH_SECRET.
      const graceUntil = new Date(now.getTime() + this.settings.refreshGraceSeconds * 1000);
      const sealed = this.box.seal(
        GRACE_SEAL_PURPOSE,
        JSON.stringify({ ...sealPair(tokens), client: clientFingerprint(client) }),
      );
      await run(tx, TOUCH_SESSION_WITH_GRACE, [
        toDbDate(tx, now),
        toDbDate(tx, refreshTokenExpiresAt),
        ip,
        consumedHash,
        toDbDate(tx, graceUntil),
        sealed,
        row.session_id,
      ]);
    } else {
      await run(tx, TOUCH_SESSION, [
        toDbDate(tx, now),
        toDbDate(tx, refreshTokenExpiresAt),
        ip,
        row.session_id,
      ]);
    }
    return {
      user: {
        id: row.user_id,
        email: row.email,
        emailVerifiedAt: toDateOrNull(row.email_verified_at),
        totpEnabledAt: toDateOrNull(row.totp_enabled_at),
        createdAt: toDate(row.user_created_at),
        roles: parseStoredRoles(row.roles),
      },
      session: {
        id: row.session_id,
        createdAt: toDate(row.session_created_at),
        lastUsedAt: now,
        expiresAt: refreshTokenExpiresAt,
        ip,
        userAgent: row.user_agent,
      },
      tokens,
    };
  }
}

function sealPair(tokens: TokenPair): SealedPair {
  return {
    accessToken: tokens.accessToken,
    accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString(),
    refreshToken: tokens.refreshToken,
    refreshTokenExpiresAt: tokens.refreshTokenExpiresAt.toISOString(),
  };
}

function unsealPair(pair: SealedPair): TokenPair {
  return {
    accessToken: pair.accessToken,
    accessTokenExpiresAt: new Date(pair.accessTokenExpiresAt),
    refreshToken: pair.refreshToken,
    refreshTokenExpiresAt: new Date(pair.refreshTokenExpiresAt),
  };
}
