import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { toDate, toDateOrNull } from '../storage/db-values.js';
import type { DbDate } from '../storage/db-values.js';
import type { CachedProfile, SessionLivenessCache } from './liveness-cache.js';
import { parseStoredRoles } from './roles.js';

/** What `me` shows of a user: no hash, no second-factor secret. */
export interface UserProfile {
  id: string;
  email: string;
  emailVerifiedAt: Date | null;
  totpEnabledAt: Date | null;
  createdAt: Date;
  /** Normalised roles (src/auth/roles.ts). */
  roles: string[];
}

export interface ProfileRow {
  id: string;
  email: string;
  email_verified_at: DbDate | null;
  totp_enabled_at: DbDate | null;
  created_at: DbDate;
  roles: string | null;
}

/** A profile from its row (PROFILE_READ's columns, or the same columns returned by an insert). */
export function profileFromRow(row: ProfileRow): UserProfile {
  return {
    id: row.id,
    email: row.email,
    emailVerifiedAt: toDateOrNull(row.email_verified_at),
    totpEnabledAt: toDateOrNull(row.totp_enabled_at),
    createdAt: toDate(row.created_at),
    roles: parseStoredRoles(row.roles),
  };
}

const PROFILE_READ =
  'select id, email, email_verified_at, totp_enabled_at, created_at, roles from users where id = ? limit 1';

/**
 * The cache field of a profile: named after the query, so a release that reads more (or other)
 * columns never serves an entry an older release wrote, even while both run side by side.
 */
export const PROFILE_CACHE_FIELD = `profile:${createHash('sha256').update(PROFILE_READ).digest('hex').slice(0, 12)}`;

/** A fill later than this after its lookup is skipped: a write and an expiry may have passed meanwhile. */
const FILL_WITHIN_MS = 5_000;

/** A cached date field: JSON has no dates, so they are stored as ISO strings. */
const dateOrNull = (value: unknown): Date | null => (typeof value === 'string' ? new Date(value) : null);

/**
 * A cached profile back to its shape. Plain `JSON.parse` and the three date fields by name: a
 * reviver makes V8 call back for every key, and was the largest single cost of a warm `me` in the
 * CPU profile (issue 24). Anything but an object with a string id and email is unreadable.
 */
function parseCachedProfile(json: string): UserProfile | null {
  const value = JSON.parse(json) as Partial<Record<keyof UserProfile, unknown>> | null;
  if (typeof value !== 'object' || value === null) return null;
  if (typeof value.id !== 'string' || typeof value.email !== 'string') return null;
  const createdAt = dateOrNull(value.createdAt);
  if (!createdAt) return null;
  return {
    id: value.id,
    email: value.email,
    emailVerifiedAt: dateOrNull(value.emailVerifiedAt),
    totpEnabledAt: dateOrNull(value.totpEnabledAt),
    createdAt,
    roles: Array.isArray(value.roles) ? value.roles.filter((role) => typeof role === 'string') : [],
  };
}

export class UserService {
  constructor(
    private readonly cache: SessionLivenessCache,
    /** How long a cached profile is kept at most (a lost invalidation is outlived by no more). */
    private readonly cacheSeconds: number,
  ) {}

  /**
   * The hottest query of the API, answered without SQL in the steady state: `cached` is what the
   * session check found in the cache in the same round trip as the liveness entry (app.ts). A miss
   * reads one indexed row (plain SQL: MikroORM's query builder and hydration cost more CPU than
   * the query here) and fills the cache for the next request. Every write of the row drops the
   * entry (src/storage/user-rows.ts), so a change is visible on the very next request.
   */
  async profile(
    /** A getter is called only on a miss: a cache hit forks no entity manager (issue 24, profile). */
    em: EntityManager | (() => EntityManager),
    id: string,
    cached: CachedProfile | null = null,
  ): Promise<UserProfile | null> {
    if (cached?.kind === 'hit') {
      try {
        const profile = parseCachedProfile(cached.json);
        if (profile) return profile;
      } catch {
        // Not JSON: unreadable, like an entry of another shape.
      }
      // An unreadable entry: the database answers.
    }
    const manager = typeof em === 'function' ? em() : em;
    const rows = await manager.getConnection().execute<ProfileRow[]>(PROFILE_READ, [id]);
    const row = rows[0];
    if (!row) return null;
    const profile = profileFromRow(row);
    const tag = cached?.kind === 'miss' ? cached.tag : null;
    if (cached?.kind === 'miss' && tag !== null && Date.now() - cached.at < FILL_WITHIN_MS) {
      await this.cache.fillProfile(id, PROFILE_CACHE_FIELD, tag, JSON.stringify(profile), this.cacheSeconds);
    }
    return profile;
  }

  /** What src/storage/user-rows.ts calls after every committed write of the user's row. */
  async invalidate(userId: string): Promise<void> {
    await this.cache.invalidateUser(userId, this.cacheSeconds);
  }
}
