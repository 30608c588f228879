import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import { bypassedProfile, RedisLivenessCache } from './liveness-cache.js';
import type { Liveness, SessionLivenessCache, SessionLookup } from './liveness-cache.js';

const PENDING_LIMIT = 10_000;

/**
 * The shared liveness cache, scoped to one incarnation of the Redis primary.
 *
 * Why: Redis replication is asynchronous. A `revoked` written to a primary that dies before
 * replicating it is lost, and the promoted replica still holds the older `live` entry: served
 * from the cache, a revoked session would work again until that entry expired. So every key
 * carries the primary's identity (its run_id, new at every start, and its replication id, new at
 * every promotion). After a failover or a restart every instance reads from a fresh, empty
 * namespace: the first check of each session misses and asks the database, which is where
 * revocation is recorded (the cache only ever saves database reads). Until an instance knows which
 * primary it talks to, the cache is bypassed entirely.
 *
 * A `revoked` this instance could not write (Redis unreachable) is written again once Redis is
 * back, for the case where the same primary returns with its old entries.
 */
export class PrimaryScopedLivenessCache implements SessionLivenessCache {
  private current: RedisLivenessCache | null = null;
  private generation = 0;
  private readonly pendingRevocations = new Map<string, number>();
  /** Users whose row changed while the invalidation could not be written: user id → when it no longer matters (ms). */
  private readonly pendingInvalidations = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    redis.on('ready', () => void this.identifyPrimary());
    for (const event of ['close', 'end', 'reconnecting'])
      redis.on(event, () => {
        this.generation += 1;
        this.current = null;
      });
    if (redis.status === 'ready') void this.identifyPrimary();
  }

  /** The namespace in use now (null: bypassed), for tests and diagnostics. */
  get namespace(): string | null {
    return this.current ? this.currentNamespace : null;
  }

  private currentNamespace = '';

  async get(sessionId: string): Promise<Liveness | null> {
    return this.current ? this.current.get(sessionId) : null;
  }

  async set(sessionId: string, value: Liveness, ttlSeconds: number): Promise<void> {
    const cache = this.current;
    if (value === 'revoked' && (!cache || this.redis.status !== 'ready')) {
      if (this.pendingRevocations.size < PENDING_LIMIT) {
        this.pendingRevocations.set(sessionId, Date.now() + ttlSeconds * 1000);
      }
    }
    if (cache) await cache.set(sessionId, value, ttlSeconds);
  }

  /** Not `async`: it hands on the cache's own promise (an async wrapper adds promise hops per request). */
  lookup(sessionId: string, userId: string, field: string): Promise<SessionLookup> {
    return this.current
      ? this.current.lookup(sessionId, userId, field)
      : Promise.resolve({ liveness: null, profile: bypassedProfile() });
  }

  async fillProfile(
    userId: string,
    field: string,
    tag: string,
    json: string,
    ttlSeconds: number,
  ): Promise<void> {
    if (this.current) await this.current.fillProfile(userId, field, tag, json, ttlSeconds);
  }

  /**
   * Like a revocation: an invalidation that could not be written is written again once Redis is
   * back (the same primary may return with its old entries; a new one starts from an empty namespace).
   */
  async invalidateUser(userId: string, ttlSeconds: number): Promise<boolean> {
    const cache = this.current;
    const done =
      cache && this.redis.status === 'ready' ? await cache.invalidateUser(userId, ttlSeconds) : false;
    if (!done && this.pendingInvalidations.size < PENDING_LIMIT) {
      this.pendingInvalidations.set(userId, Date.now() + ttlSeconds * 1000);
    }
    return done;
  }

  private async identifyPrimary(): Promise<void> {
    const generation = ++this.generation;
    let identity: string;
    try {
      const [server, replication] = await Promise.all([
        this.redis.info('server'),
        this.redis.info('replication'),
      ]);
      identity = `${field(server, 'run_id')}/${field(replication, 'master_replid')}`;
    } catch {
      // A timeout under load, or a Redis that refuses INFO: bypass the cache, and ask again soon.
      this.logger.warn('redis: cannot identify the primary; the session cache is bypassed meanwhile');
      setTimeout(() => {
        if (generation === this.generation && this.redis.status === 'ready') void this.identifyPrimary();
      }, 1000).unref();
      return;
    }
    if (generation !== this.generation) return; // reconnected meanwhile: that ready event decides
    this.currentNamespace = createHash('sha256').update(identity).digest('hex').slice(0, 12);
    this.current = new RedisLivenessCache(this.redis, `${this.prefix}${this.currentNamespace}:`);
    await this.flushPendingRevocations(this.current);
  }

  private async flushPendingRevocations(cache: RedisLivenessCache): Promise<void> {
    const now = Date.now();
    const pending = [...this.pendingRevocations];
    this.pendingRevocations.clear();
    const invalidations = [...this.pendingInvalidations];
    this.pendingInvalidations.clear();
    await Promise.all([
      ...pending
        .filter(([, expiresAt]) => expiresAt > now)
        .map(([sessionId, expiresAt]) => cache.set(sessionId, 'revoked', (expiresAt - now) / 1000)),
      ...invalidations
        .filter(([, expiresAt]) => expiresAt > now)
        .map(([userId, expiresAt]) => cache.invalidateUser(userId, (expiresAt - now) / 1000)),
    ]);
  }
}

function field(info: string, name: string): string {
  const match = new RegExp(`^${name}:(\\S+)`, 'm').exec(info);
  if (!match) throw new Error(`INFO has no ${name}`);
  return match[1]!;
}
