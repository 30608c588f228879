import type { Redis } from 'ioredis';

export type Liveness = 'live' | 'revoked';

/**
 * Caches whether a session is live, so that checking an access token costs no database
 * query. Revocation writes 'revoked' here at once, so it takes effect on every replica
 * sharing the cache immediately, not after the access token's 15 minutes.
 */
export interface SessionLivenessCache {
  get(sessionId: string): Promise<Liveness | null>;
  /**
   * 'revoked' always wins: it overwrites 'live', and 'live' is written only where nothing is cached
   * (SET NX). A check that read the session from the database just before a revocation committed
   * must not put 'live' back over the revocation's 'revoked' (it would be accepted for the cache's
   * lifetime); revocations therefore may write before or after their commit, checks only fill gaps.
   */
  set(sessionId: string, value: Liveness, ttlSeconds: number): Promise<void>;
}

export class MemoryLivenessCache implements SessionLivenessCache {
  private readonly entries = new Map<string, { value: Liveness; expiresAt: number }>();

  async get(sessionId: string): Promise<Liveness | null> {
    const entry = this.entries.get(sessionId);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(sessionId);
      return null;
    }
    return entry.value;
  }

  async set(sessionId: string, value: Liveness, ttlSeconds: number): Promise<void> {
    if (this.entries.size > 100_000) this.entries.clear(); // bounded memory; misses fall back to the database
    if (value === 'live' && (await this.get(sessionId)) !== null) return; // never over 'revoked' (see above)
    this.entries.set(sessionId, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
  }
}

/** Shared by every replica. Any Redis failure reads as a miss: the database answers instead. */
export class RedisLivenessCache implements SessionLivenessCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async get(sessionId: string): Promise<Liveness | null> {
    try {
      const value = await this.redis.get(`${this.prefix}session:${sessionId}`);
      return value === 'live' || value === 'revoked' ? value : null;
    } catch {
      return null;
    }
  }

  async set(sessionId: string, value: Liveness, ttlSeconds: number): Promise<void> {
    try {
      const key = `${this.prefix}session:${sessionId}`;
      const ttl = Math.max(1, Math.ceil(ttlSeconds));
      // One atomic command each: NX for 'live', so it can never land on a 'revoked' (see above).
      if (value === 'live') await this.redis.set(key, value, 'EX', ttl, 'NX');
      else await this.redis.set(key, value, 'EX', ttl);
    } catch {
      // A lost 'live' costs a database read later; a lost 'revoked' is covered by the
      // database check on the next miss, since live entries are kept short.
    }
  }
}
