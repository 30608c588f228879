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

interface ProfileRow {
  id: string;
  email: string;
  email_verified_at: DbDate | null;
  totp_enabled_at: DbDate | null;
  created_at: DbDate;
  roles: string | null;
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

/** Profile fields holding dates end in `At` (JSON has no dates). */
const reviveDates = (key: string, value: unknown) =>
  key.endsWith('At') && typeof value === 'string' ? new Date(value) : value;

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
        return JSON.parse(cached.json, reviveDates) as UserProfile;
      } catch {
        // An unreadable entry: read the database, and overwrite it below.
      }
    }
    const manager = typeof em === 'function' ? em() : em;
    const rows = await manager.getConnection().execute<ProfileRow[]>(PROFILE_READ, [id]);
    const row = rows[0];
    if (!row) return null;
    const profile: UserProfile = {
      id: row.id,
      email: row.email,
      emailVerifiedAt: toDateOrNull(row.email_verified_at),
      totpEnabledAt: toDateOrNull(row.totp_enabled_at),
      createdAt: toDate(row.created_at),
      roles: parseStoredRoles(row.roles),
    };
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
