import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { KeyedHash } from '../security/crypto.js';
import type { ClientInfo } from './client-info.js';
import { normaliseEmail } from './email.js';
import type { DeviceCookies, FailureClient } from './failure-client.js';
import type { FailurePolicy, FailureStore } from './login-failure-store.js';
import { MemoryFailureStore, RedisFailureStore } from './login-failure-store.js';

export type AttemptGate = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Five free failures, then 30 s, 60 s, … up to an hour between attempts; at 100 consecutive
 * failures the account waits for a reset (a success cannot happen while locked, so a password
 * reset, or 30 days of quiet). An attacker gets at most 100 guesses per account.
 */
export const DEFAULT_FAILURE_POLICY: FailurePolicy = Object.freeze({
  freeFailures: 5,
  baseDelaySeconds: 30,
  maxDelaySeconds: 3600,
  hardLimit: 100,
  retentionSeconds: 30 * 86400,
});

/**
 * The per-account ceiling across all clients that are not a known device of the account: softer
 * than the per-client delays (20 free failures, delays up to an hour) so that one attacker
 * cannot lock the owner out, and still at most 100 guesses per account from unknown clients.
 */
export const ACCOUNT_FAILURE_POLICY: FailurePolicy = Object.freeze({
  freeFailures: 20,
  baseDelaySeconds: 30,
  maxDelaySeconds: 3600,
  hardLimit: 100,
  retentionSeconds: 30 * 86400,
});

const NO_CLIENT: ClientInfo = { ip: null, userAgent: null };

export interface LoginFailureCounterOptions {
  policy?: FailurePolicy;
  accountPolicy?: FailurePolicy;
  /** Device cookies: a known device of the account is its own client and skips the account ceiling. */
  devices?: DeviceCookies;
  now?: () => number;
  /** Label of plinto_lockouts_total for refusals by this counter. */
  kind?: string;
}

/**
 * Consecutive credential failures per email, for signIn and second-factor codes. Keyed by the
 * normalised email whether or not an account exists, so a lock says nothing about registration.
 * Only sign-in-like checks consult it: password reset never does, so a locked-out owner can
 * always reset (and the reset flow calls clear()).
 */
export class LoginFailureCounter {
  private readonly shared: FailureStore | null;
  private readonly local = new MemoryFailureStore();
  private readonly policy: FailurePolicy;
  private readonly accountPolicy: FailurePolicy;
  private readonly devices: DeviceCookies | null;
  private readonly now: () => number;
  private readonly kind: string;

  constructor(
    redis: Redis | null,
    private readonly keyPrefix: string,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    /** HMAC under a key derived from AUTH_SECRET: see key(). */
    private readonly emailHash: KeyedHash,
    options: LoginFailureCounterOptions = {},
  ) {
    this.shared = redis ? new RedisFailureStore(redis) : null;
    this.policy = options.policy ?? DEFAULT_FAILURE_POLICY;
    this.accountPolicy = options.accountPolicy ?? ACCOUNT_FAILURE_POLICY;
    this.devices = options.devices ?? null;
    this.now = options.now ?? Date.now;
    this.kind = options.kind ?? 'sign_in';
  }

  /** The hard lock: at this many consecutive failures the account stays locked for `seconds` (or until a reset). */
  get hardLock(): { failures: number; seconds: number } {
    return { failures: this.policy.hardLimit, seconds: this.policy.retentionSeconds };
  }

  /**
   * Whether a credential check for this email may run now, from this client. The growing delays
   * are keyed on (account, client), client = a device cookie of this account, else the IP's /24
   * or /64: failures from an attacker's network never delay the owner's device. Clients that are
   * not a known device of the account also share the softer account-wide ceiling.
   */
  async check(email: string, client: ClientInfo = NO_CLIENT): Promise<AttemptGate> {
    const nowMs = this.now();
    const who = this.clientOf(email, client);
    const account = this.key(email);
    // Both records in one round trip (the account's only for a client that is not a known device).
    const keys = [this.clientKey(account, who)];
    if (!who.knownDevice) keys.push(account);
    const records = await this.withStore((store) => store.getMany(keys, nowMs));
    const lockedUntilMs = Math.max(...records.map((record) => record?.lockedUntilMs ?? 0));
    if (lockedUntilMs <= nowMs) return { allowed: true };
    this.metrics.lockouts.inc({ kind: this.kind });
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((lockedUntilMs - nowMs) / 1000)) };
  }

  /** Counts a failed check; returns the number of consecutive failures of this client so far. */
  async recordFailure(email: string, client: ClientInfo = NO_CLIENT): Promise<number> {
    const nowMs = this.now();
    const account = this.key(email);
    const clientKey = this.clientKey(account, this.clientOf(email, client));
    const record = await this.withStore(async (store) => {
      await store.recordFailure(account, nowMs, this.accountPolicy);
      await store.index(this.indexKey(account), clientKey, this.policy.retentionSeconds);
      return store.recordFailure(clientKey, nowMs, this.policy);
    });
    return record.failures;
  }

  /**
   * A success (with its client: that client's count and the account's start over) or a password
   * reset (no client: every count of the account starts over).
   */
  async clear(email: string, client?: ClientInfo): Promise<void> {
    const account = this.key(email);
    await this.withStore(async (store) => {
      // A success: both counts in one command (one round trip).
      if (client) await store.delete(account, this.clientKey(account, this.clientOf(email, client)));
      else {
        await store.delete(account);
        await store.deleteIndexed(this.indexKey(account));
      }
    });
  }

  /** The device cookie to set after a successful sign-in (null when device cookies are off). */
  deviceCookie(email: string, client: ClientInfo): string | null {
    return this.devices?.cookieFor(email, client) ?? null;
  }

  private clientOf(email: string, client: ClientInfo): FailureClient {
    if (this.devices) return this.devices.clientOf(email, client);
    return { key: 'n:unknown', knownDevice: false };
  }

  // The client part is hashed too: Redis holds neither addresses nor device ids.
  private clientKey(accountKey: string, who: FailureClient): string {
    return `${accountKey}:${this.emailHash.hex(who.key).slice(0, 32)}`;
  }

  private indexKey(accountKey: string): string {
    return `${accountKey}:clients`;
  }

  // Keyed hash: Redis never holds the addresses, and whoever reads Redis cannot test a list of
  // candidate addresses against its keys without AUTH_SECRET. The prefix keeps instances apart.
  private key(email: string): string {
    return `${this.keyPrefix}login-failures:${this.emailHash.hex(normaliseEmail(email))}`;
  }

  /**
   * Redis when it answers; during an outage this process's own records, so the counter keeps
   * working (per replica) instead of failing sign-in or letting guesses through uncounted.
   */
  private async withStore<T>(operation: (store: FailureStore) => Promise<T>): Promise<T> {
    if (this.shared) {
      try {
        return await operation(this.shared);
      } catch (error) {
        this.logger.warn(
          { err: { message: (error as Error).message } },
          'login failure counter: redis failed',
        );
      }
    }
    return operation(this.local);
  }
}
