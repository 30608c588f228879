import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { KeyedHash } from '../security/crypto.js';
import { normaliseEmail } from './email.js';
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

export interface LoginFailureCounterOptions {
  policy?: FailurePolicy;
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
    this.now = options.now ?? Date.now;
    this.kind = options.kind ?? 'sign_in';
  }

  /** The hard lock: at this many consecutive failures the account stays locked for `seconds` (or until a reset). */
  get hardLock(): { failures: number; seconds: number } {
    return { failures: this.policy.hardLimit, seconds: this.policy.retentionSeconds };
  }

  /** Whether a credential check for this email may run now. */
  async check(email: string): Promise<AttemptGate> {
    const nowMs = this.now();
    const record = await this.withStore((store) => store.get(this.key(email), nowMs));
    if (!record || record.lockedUntilMs <= nowMs) return { allowed: true };
    this.metrics.lockouts.inc({ kind: this.kind });
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((record.lockedUntilMs - nowMs) / 1000)),
    };
  }

  /** Counts a failed check; returns the number of consecutive failures so far. */
  async recordFailure(email: string): Promise<number> {
    const nowMs = this.now();
    const record = await this.withStore((store) => store.recordFailure(this.key(email), nowMs, this.policy));
    return record.failures;
  }

  /** A success or a password reset: the count starts over. */
  async clear(email: string): Promise<void> {
    await this.withStore((store) => store.delete(this.key(email)));
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
