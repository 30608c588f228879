import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export type Liveness = 'live' | 'revoked';

/**
 * The user's profile as the cache has it: `hit` (current: no write of the user row since it was
 * filled), or `miss` with the tag a fill must carry (null: the cache is bypassed, do not fill).
 */
export type CachedProfile =
  | { kind: 'hit'; json: string }
  | { kind: 'miss'; tag: string | null; /** Date.now() of the lookup */ at: number };

/** What one cache round trip knows about an access token: its session's liveness and its user's profile. */
export interface SessionLookup {
  liveness: Liveness | null;
  profile: CachedProfile;
}

const bypassed = (): CachedProfile => ({ kind: 'miss', tag: null, at: Date.now() });

/**
 * A profile entry is `<tag>\n<json>`; it is current only while the user's generation is still
 * `<tag>`. Every write of the user row sets a new generation (invalidateUser), so an entry filled
 * from a read that raced a write is never served: it carries the generation seen BEFORE the read.
 * No generation yet is the tag ''.
 */
function profileOf(generation: string | null, entry: string | null): CachedProfile {
  const tag = generation ?? '';
  if (entry !== null) {
    const cut = entry.indexOf('\n');
    if (cut >= 0 && entry.slice(0, cut) === tag) return { kind: 'hit', json: entry.slice(cut + 1) };
  }
  return { kind: 'miss', tag, at: Date.now() };
}

export { bypassed as bypassedProfile };

const newGeneration = () => randomBytes(9).toString('base64url');

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
  /**
   * The session's liveness and the user's cached profile, in one round trip. `field` names the
   * profile's format (UserService: a hash of the query), so a new format never reads an old entry.
   */
  lookup(sessionId: string, userId: string, field: string): Promise<SessionLookup>;
  /** Keeps a profile read from the database after a lookup answered `miss` with `tag`. */
  fillProfile(userId: string, field: string, tag: string, json: string, ttlSeconds: number): Promise<void>;
  /**
   * The user row changed (src/storage/user-rows.ts calls this after the commit of every write):
   * no profile cached before is served again, on any replica sharing the cache.
   */
  invalidateUser(userId: string, ttlSeconds: number): Promise<boolean>;
}

export class MemoryLivenessCache implements SessionLivenessCache {
  private readonly entries = new Map<string, { value: Liveness; expiresAt: number }>();
  /** Per user: the generation and the profile fields (`field` → entry), dropped together at expiry. */
  private readonly users = new Map<
    string,
    { generation: string | null; profiles: Map<string, string>; expiresAt: number }
  >();

  private user(userId: string) {
    const entry = this.users.get(userId);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.users.delete(userId);
      return null;
    }
    return entry;
  }

  private userForWrite(userId: string, ttlSeconds: number) {
    if (this.users.size > 100_000) this.users.clear(); // bounded memory; misses fall back to the database
    const entry = this.user(userId) ?? {
      generation: null,
      profiles: new Map<string, string>(),
      expiresAt: 0,
    };
    entry.expiresAt = Date.now() + ttlSeconds * 1000;
    this.users.set(userId, entry);
    return entry;
  }

  async lookup(sessionId: string, userId: string, field: string): Promise<SessionLookup> {
    const user = this.user(userId);
    return {
      liveness: await this.get(sessionId),
      profile: profileOf(user?.generation ?? null, user?.profiles.get(field) ?? null),
    };
  }

  async fillProfile(
    userId: string,
    field: string,
    tag: string,
    json: string,
    ttlSeconds: number,
  ): Promise<void> {
    this.userForWrite(userId, ttlSeconds).profiles.set(field, `${tag}\n${json}`);
  }

  async invalidateUser(userId: string, ttlSeconds: number): Promise<boolean> {
    this.userForWrite(userId, ttlSeconds).generation = newGeneration();
    return true;
  }

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

/**
 * GET KEYS[1] and HMGET KEYS[2] ARGV[1] ARGV[2] in one command; it only reads. A missing key
 * or field is false in Lua, which Redis answers as nil (false, unlike nil, does not end a Lua
 * array). ioredis sends EVALSHA and falls back to EVAL when a server does not know the script yet
 * (a restart, a failover). No shebang flags: it runs alike on Redis 6 and 7.
 */
const SESSION_LOOKUP = `local user = redis.call('HMGET', KEYS[2], ARGV[1], ARGV[2])
return { redis.call('GET', KEYS[1]), user[1], user[2] }`;

type LookupReply = [string | null, string | null, string | null];
type SessionLookupCommand = (
  sessionKey: string,
  userKey: string,
  generationField: string,
  profileField: string,
) => Promise<LookupReply>;

/** The client's `plintoSessionLookup` command, defined on first use (once per client). */
function sessionLookup(redis: Redis): SessionLookupCommand {
  const client = redis as Redis & { plintoSessionLookup?: SessionLookupCommand };
  if (!client.plintoSessionLookup) {
    redis.defineCommand('plintoSessionLookup', { numberOfKeys: 2, lua: SESSION_LOOKUP });
  }
  return client.plintoSessionLookup!.bind(redis);
}

/** Shared by every replica. Any Redis failure reads as a miss: the database answers instead. */
export class RedisLivenessCache implements SessionLivenessCache {
  /** The bound script command, made once (binding it per request was an allocation per `me`). */
  private lookupCommand: SessionLookupCommand | null = null;

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

  /**
   * One command (one round trip): the session's entry, and the user's generation and profile, read
   * by a read-only script (SESSION_LOOKUP). It was a pipeline of GET + HMGET: two commands, a
   * pipeline object and three promises per request in ioredis, on the hottest path (issue 24, profile).
   */
  async lookup(sessionId: string, userId: string, field: string): Promise<SessionLookup> {
    try {
      const command = (this.lookupCommand ??= sessionLookup(this.redis));
      const [value, generation, entry] = await command(
        `${this.prefix}session:${sessionId}`,
        `${this.prefix}user:${userId}`,
        'generation',
        field,
      );
      const liveness = value === 'live' || value === 'revoked' ? value : null;
      return { liveness, profile: profileOf(generation, entry) };
    } catch {
      return { liveness: null, profile: bypassed() };
    }
  }

  async fillProfile(
    userId: string,
    field: string,
    tag: string,
    json: string,
    ttlSeconds: number,
  ): Promise<void> {
    try {
      const key = `${this.prefix}user:${userId}`;
      // The generation lives in the same key: they expire (or are evicted) together, never apart.
      await this.redis
        .multi()
        .hset(key, field, `${tag}\n${json}`)
        .expire(key, Math.max(1, Math.ceil(ttlSeconds)))
        .exec();
    } catch {
      // Not kept: the next request reads the database again.
    }
  }

  async invalidateUser(userId: string, ttlSeconds: number): Promise<boolean> {
    try {
      const key = `${this.prefix}user:${userId}`;
      const replies = await this.redis
        .multi()
        .hset(key, 'generation', newGeneration())
        .expire(key, Math.max(1, Math.ceil(ttlSeconds)))
        .exec();
      return !!replies && replies.every(([error]) => !error);
    } catch {
      return false;
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
