import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { Redis } from 'ioredis';
import type { ApiKeyPrincipal } from '../../context.js';
import { InvalidInputError } from '../../domain-errors.js';
import { randomToken, sha256Hex } from '../../security/crypto.js';
import { ApiKey } from '../../storage/entities/index.js';
import { ADMIN_ROLE, API_KEY_SCOPES, parseStoredRoles } from '../roles.js';
import type { DbDate } from '../../storage/db-values.js';
import { toDate, toDateOrNull } from '../../storage/db-values.js';
import type { AdminActor, AdminService } from './admin.service.js';

export const API_KEY_PREFIX = 'plk_';
/** `last_used_at` is written at most once a minute per key: no write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** The key row and its creator's standing, as the one authentication query returns them. */
interface KeyWithCreator {
  id: string;
  name: string;
  scopes: string;
  created_by: string | null;
  expires_at: DbDate | null;
  revoked_at: DbDate | null;
  last_used_at: DbDate | null;
  creator_id: string | null;
  creator_roles: string | null;
  creator_disabled_at: DbDate | null;
}

export type ApiKeyCheck =
  { kind: 'ok'; principal: ApiKeyPrincipal } | { kind: 'invalid' } | { kind: 'rate-limited' };

/**
 * API keys for automation: `plk_` + 256 random bits (base64url), shown once, stored as SHA-256
 * (a key is high-entropy, so a fast hash is enough, as for refresh tokens). A key authenticates a
 * service with only its scopes; revoked or expired keys stop at once (every request reads the row, joined
 * with its creator's roles and disabled flag in the same query).
 */
export class ApiKeyService {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly admin: AdminService,
    private readonly redis: Redis | null,
    private readonly keyPrefix: string,
    /** Requests per minute per key. */
    private readonly perMinute: number,
  ) {}

  async create(
    em: EntityManager,
    actor: AdminActor & { kind: 'user' },
    rawName: string,
    scopes: string[],
    expiresAt: Date | null,
  ): Promise<{ key: string; record: ApiKey }> {
    const name = rawName.normalize('NFKC').trim();
    if (name.length === 0 || name.length > 100 || /[\p{Cc}\p{Cf}"]/u.test(name)) {
      throw new InvalidInputError(
        'Name the key in 1 to 100 characters (no quotes or control characters).',
        'name',
      );
    }
    const unique = [...new Set(scopes)].sort();
    if (unique.length === 0 || unique.some((s) => !(API_KEY_SCOPES as readonly string[]).includes(s))) {
      throw new InvalidInputError(`Scopes are one or more of: ${API_KEY_SCOPES.join(', ')}.`, 'scopes');
    }
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new InvalidInputError('expiresAt must be in the future.', 'expiresAt');
    }
    const key = `${API_KEY_PREFIX}${randomToken(32)}`;
    const record = em.create(ApiKey, {
      id: randomUUID(),
      name,
      keyHash: sha256Hex(key),
      scopes: unique.join(' '),
      createdBy: actor.userId,
      createdAt: new Date(),
      expiresAt,
    });
    await em.insert(ApiKey, record);
    await this.admin.audit(em, 'api_key_created', actor, null, `key ${record.id} "${name}" ${record.scopes}`);
    return { key, record };
  }

  async list(em: EntityManager): Promise<ApiKey[]> {
    return em.find(ApiKey, {}, { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: 500 });
  }

  async revoke(em: EntityManager, actor: AdminActor, id: string): Promise<boolean> {
    const key = await em.findOne(ApiKey, { id, revokedAt: null });
    if (!key) return false;
    await em.nativeUpdate(ApiKey, { id, revokedAt: null }, { revokedAt: new Date() });
    await this.admin.audit(em, 'api_key_revoked', actor, null, `key ${id} "${key.name}"`);
    return true;
  }

  /** The principal of a presented `plk_` key, or why not. */
  async authenticate(em: EntityManager, presented: string): Promise<ApiKeyCheck> {
    if (!presented.startsWith(API_KEY_PREFIX) || presented.length > 100) return { kind: 'invalid' };
    const now = new Date();
    // One query per request: the key and its creator's standing together (no second round trip).
    const rows = await em.getConnection().execute<KeyWithCreator[]>(
      `select k.id, k.name, k.scopes, k.created_by, k.expires_at, k.revoked_at, k.last_used_at,
              u.id as creator_id, u.roles as creator_roles, u.disabled_at as creator_disabled_at
         from api_keys k left join users u on u.id = k.created_by
        where k.key_hash = ? limit 1`,
      [sha256Hex(presented)],
    );
    const row = rows[0];
    if (!row || row.revoked_at !== null) return { kind: 'invalid' };
    if (row.expires_at !== null && toDate(row.expires_at) <= now) return { kind: 'invalid' };
    // A key acts for the administrator who made it: it ends when they stop being an enabled admin.
    if (row.created_by !== null) {
      const creatorIsAdmin =
        row.creator_id !== null &&
        row.creator_disabled_at === null &&
        parseStoredRoles(row.creator_roles).includes(ADMIN_ROLE);
      if (!creatorIsAdmin) return { kind: 'invalid' };
    }
    const key = {
      id: row.id,
      name: row.name,
      scopes: row.scopes,
      lastUsedAt: toDateOrNull(row.last_used_at),
    };
    if (!(await this.withinRate(key.id))) return { kind: 'rate-limited' };
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: now });
    }
    return { kind: 'ok', principal: { keyId: key.id, name: key.name, scopes: key.scopes.split(' ') } };
  }

  /** A fixed one-minute window per key: shared through Redis when there is one, else per process. */
  private async withinRate(keyId: string): Promise<boolean> {
    const minute = Math.floor(Date.now() / 60_000);
    if (this.redis) {
      try {
        const name = `${this.keyPrefix}apikey:${keyId}:${minute}`;
        const count = await this.redis.incr(name);
        if (count === 1) await this.redis.expire(name, 120);
        return count <= this.perMinute;
      } catch {
        // Redis down: fall back to this process's window.
      }
    }
    const now = Date.now();
    const window = this.windows.get(keyId);
    if (!window || window.resetAt <= now) {
      if (this.windows.size > 10_000) this.windows.clear();
      this.windows.set(keyId, { count: 1, resetAt: (minute + 1) * 60_000 });
      return true;
    }
    window.count += 1;
    return window.count <= this.perMinute;
  }
}
