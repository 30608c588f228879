import type { Redis } from 'ioredis';

/** Consecutive failures of one account and the moment it may try again. */
export interface FailureRecord {
  failures: number;
  lockedUntilMs: number;
}

export interface FailurePolicy {
  /** Failures answered without delay; the next ones wait. */
  freeFailures: number;
  /** Wait after the first counted failure past the free ones; doubles with each further failure. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  /** At this many consecutive failures the account stays locked until a reset (success or password reset). */
  hardLimit: number;
  /** How long a record lives after its last failure; also the length of the hard lock. */
  retentionSeconds: number;
}

/** The wait after `failures` consecutive failures, in seconds (0 = may try at once). */
export function lockSecondsAfter(failures: number, policy: FailurePolicy): number {
  if (failures >= policy.hardLimit) return policy.retentionSeconds;
  if (failures < policy.freeFailures) return 0;
  return Math.min(policy.baseDelaySeconds * 2 ** (failures - policy.freeFailures), policy.maxDelaySeconds);
}

/** Storage of failure records: Redis (shared by replicas) or memory (development, outage). */
export interface FailureStore {
  get(key: string, nowMs: number): Promise<FailureRecord | null>;
  /** The records of several keys, in their order, read together (one round trip to Redis). */
  getMany(keys: readonly string[], nowMs: number): Promise<Array<FailureRecord | null>>;
  /** Atomically counts one more failure and sets the lock it earns. */
  recordFailure(key: string, nowMs: number, policy: FailurePolicy): Promise<FailureRecord>;
  /** Deletes every key given (one round trip to Redis). */
  delete(...keys: string[]): Promise<void>;
  /** Remembers `member` under `index` (for as long as `retentionSeconds`), so deleteIndexed can find it. */
  index(index: string, member: string, retentionSeconds: number): Promise<void>;
  /** Deletes the index and every key remembered under it. */
  deleteIndexed(index: string): Promise<void>;
}

export class MemoryFailureStore implements FailureStore {
  private readonly records = new Map<string, FailureRecord & { expiresAtMs: number }>();

  async get(key: string, nowMs: number): Promise<FailureRecord | null> {
    const record = this.records.get(key);
    if (!record) return null;
    if (record.expiresAtMs <= nowMs) {
      this.records.delete(key);
      return null;
    }
    return { failures: record.failures, lockedUntilMs: record.lockedUntilMs };
  }

  async getMany(keys: readonly string[], nowMs: number): Promise<Array<FailureRecord | null>> {
    return Promise.all(keys.map((key) => this.get(key, nowMs)));
  }

  async recordFailure(key: string, nowMs: number, policy: FailurePolicy): Promise<FailureRecord> {
    const failures = ((await this.get(key, nowMs))?.failures ?? 0) + 1;
    const lockSeconds = lockSecondsAfter(failures, policy);
    const previous = this.records.get(key)?.lockedUntilMs ?? 0;
    const lockedUntilMs = lockSeconds > 0 ? nowMs + lockSeconds * 1000 : previous;
    this.records.set(key, { failures, lockedUntilMs, expiresAtMs: nowMs + policy.retentionSeconds * 1000 });
    if (this.records.size > 100_000) this.evictExpired(nowMs);
    return { failures, lockedUntilMs };
  }

  async delete(...keys: string[]): Promise<void> {
    for (const key of keys) this.records.delete(key);
  }

  private readonly indexes = new Map<string, Set<string>>();

  async index(index: string, member: string): Promise<void> {
    const members = this.indexes.get(index) ?? new Set<string>();
    members.add(member);
    this.indexes.set(index, members);
    if (this.indexes.size > 100_000) this.indexes.clear();
  }

  async deleteIndexed(index: string): Promise<void> {
    for (const member of this.indexes.get(index) ?? []) this.records.delete(member);
    this.indexes.delete(index);
  }

  private evictExpired(nowMs: number): void {
    for (const [key, record] of this.records) if (record.expiresAtMs <= nowMs) this.records.delete(key);
  }
}

// One atomic step, so concurrent failures from many replicas are all counted.
const RECORD_FAILURE = `
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local now = tonumber(ARGV[1])
local free = tonumber(ARGV[2])
local base = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
local hard = tonumber(ARGV[5])
local retention = tonumber(ARGV[6])
local lock = 0
if failures >= hard then
  lock = retention
elseif failures >= free then
  lock = math.min(base * 2 ^ (failures - free), max)
end
if lock > 0 then
  redis.call('HSET', KEYS[1], 'lockedUntil', now + lock * 1000)
end
redis.call('PEXPIRE', KEYS[1], retention * 1000)
return {failures, tonumber(redis.call('HGET', KEYS[1], 'lockedUntil') or '0')}
`;

/**
 * HMGET failures lockedUntil of every key, in one command: a sign-in checks two records (its
 * client's and the account's), which were two round trips (issue 24, sign-in profile). Read-only;
 * a missing field is false in Lua, answered as nil (false, unlike nil, does not end a Lua array).
 */
const READ_RECORDS = `local records = {}
for i, key in ipairs(KEYS) do records[i] = redis.call('HMGET', key, 'failures', 'lockedUntil') end
return records`;

type RecordsReply = Array<[string | null, string | null]>;
type ReadRecordsCommand = (keyCount: number, ...keys: string[]) => Promise<RecordsReply>;

/** The client's `plintoFailureRecords` command, defined on first use (once per client). */
function readRecords(redis: Redis): ReadRecordsCommand {
  const client = redis as Redis & { plintoFailureRecords?: ReadRecordsCommand };
  if (!client.plintoFailureRecords) redis.defineCommand('plintoFailureRecords', { lua: READ_RECORDS });
  return client.plintoFailureRecords!.bind(redis);
}

function recordOf([failures, lockedUntil]: [string | null | undefined, string | null | undefined]) {
  if (failures === null || failures === undefined) return null;
  return { failures: Number(failures), lockedUntilMs: Number(lockedUntil ?? 0) };
}

export class RedisFailureStore implements FailureStore {
  constructor(private readonly redis: Redis) {}

  async get(key: string): Promise<FailureRecord | null> {
    const [failures, lockedUntil] = await this.redis.hmget(key, 'failures', 'lockedUntil');
    return recordOf([failures, lockedUntil]);
  }

  async getMany(keys: readonly string[]): Promise<Array<FailureRecord | null>> {
    if (keys.length === 1) return [await this.get(keys[0]!)];
    const replies = await readRecords(this.redis)(keys.length, ...keys);
    return keys.map((_, i) => recordOf(replies[i] ?? [null, null]));
  }

  async recordFailure(key: string, nowMs: number, policy: FailurePolicy): Promise<FailureRecord> {
    const [failures, lockedUntilMs] = (await this.redis.eval(
      RECORD_FAILURE,
      1,
      key,
      nowMs,
      policy.freeFailures,
      policy.baseDelaySeconds,
      policy.maxDelaySeconds,
      policy.hardLimit,
      policy.retentionSeconds,
    )) as [number, number];
    return { failures: Number(failures), lockedUntilMs: Number(lockedUntilMs) };
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys);
  }

  async index(index: string, member: string, retentionSeconds: number): Promise<void> {
    await this.redis.multi().sadd(index, member).expire(index, retentionSeconds).exec();
  }

  async deleteIndexed(index: string): Promise<void> {
    const members = await this.redis.smembers(index);
    await this.redis.del(index, ...members);
  }
}
