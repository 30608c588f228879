import { createHash } from 'node:crypto';
import argon2 from 'argon2';
import bcrypt from 'bcrypt';
import type { Metrics } from '../observability/metrics.js';
import { safeEqual } from './crypto.js';
import type { CallerGone, HashQueue } from './hash-queue.js';
import { BCRYPT_MAX_BYTES, MAX_PASSWORD_INPUT_BYTES, normalisePassword } from './password-policy.js';

export type HashScheme = 'bcrypt' | 'argon2id' | 'sha256-legacy';

export interface PasswordPolicy {
  scheme: 'bcrypt' | 'argon2id';
  bcryptCost: number;
}

export interface VerifyResult {
  ok: boolean;
  /** The stored hash is not the current policy: re-hash with the password just proven. */
  needsRehash: boolean;
}

// OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashScheme(stored: string): HashScheme | null {
  if (/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(stored)) return 'bcrypt';
  if (stored.startsWith('$argon2id$')) return 'argon2id';
  if (/^sha256:[0-9a-f]{64}$/.test(stored)) return 'sha256-legacy';
  return null;
}

function bcryptCost(stored: string): number {
  return Number(stored.slice(4, 6));
}

export class PasswordService {
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly policy: PasswordPolicy,
    private readonly queue: HashQueue,
    private readonly metrics: Metrics,
  ) {}

  get scheme(): 'bcrypt' | 'argon2id' {
    return this.policy.scheme;
  }

  /**
   * Hash with the current policy. The password must already have passed the policy check.
   * `gone`, here and below: the caller's client has left, so a hash still waiting is not spent.
   */
  async hash(password: string, gone?: CallerGone): Promise<string> {
    const normalised = normalisePassword(password);
    return this.timed(
      this.policy.scheme,
      () =>
        this.policy.scheme === 'argon2id'
          ? argon2.hash(normalised, ARGON2_OPTIONS)
          : bcrypt.hash(normalised, this.policy.bcryptCost),
      gone,
    );
  }

  async verify(password: string, stored: string, gone?: CallerGone): Promise<VerifyResult> {
    const scheme = hashScheme(stored);
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_INPUT_BYTES || scheme === null) {
      await this.verifyDummy(password, gone);
      return { ok: false, needsRehash: false };
    }
    const normalised = normalisePassword(password);
    let ok: boolean;
    if (scheme === 'bcrypt') {
      // bcrypt would compare only the first 72 bytes: a longer input is never a match.
      const tooLong = Buffer.byteLength(normalised, 'utf8') > BCRYPT_MAX_BYTES;
      const compared = await this.timed('bcrypt', () => bcrypt.compare(normalised, stored), gone);
      ok = compared && !tooLong;
    } else if (scheme === 'argon2id') {
      ok = await this.timed('argon2id', () => argon2.verify(stored, normalised), gone);
    } else {
      // Legacy unsalted SHA-256 (import only). Spend a real hash's time too, so that legacy
      // accounts are not distinguishable by timing, and compare in constant time.
      await this.verifyDummy(password, gone);
      const digest = createHash('sha256').update(normalised, 'utf8').digest('hex');
      ok = safeEqual(`sha256:${digest}`, stored);
    }
    return { ok, needsRehash: ok && this.needsRehash(stored, scheme) };
  }

  /** Unknown users cost the same as known ones: verify against a hash of the current policy. */
  async verifyDummy(password: string, gone?: CallerGone): Promise<void> {
    this.dummyHash ??= this.hash('plinto-dummy-password-for-timing-parity');
    const dummy = await this.dummyHash;
    const input = normalisePassword(password.slice(0, MAX_PASSWORD_INPUT_BYTES));
    if (this.policy.scheme === 'argon2id') {
      await this.timed('argon2id', () => argon2.verify(dummy, input), gone);
    } else {
      await this.timed('bcrypt', () => bcrypt.compare(input, dummy), gone);
    }
  }

  needsRehash(stored: string, scheme = hashScheme(stored)): boolean {
    if (scheme === 'sha256-legacy' || scheme === null) return true;
    if (this.policy.scheme === 'argon2id') {
      return scheme !== 'argon2id' || argon2.needsRehash(stored, ARGON2_OPTIONS);
    }
    // Policy bcrypt: an argon2id hash is already stronger; only weaker bcrypt costs are upgraded.
    return scheme === 'bcrypt' && bcryptCost(stored) < this.policy.bcryptCost;
  }

  private async timed<T>(scheme: HashScheme, task: () => Promise<T>, gone?: CallerGone): Promise<T> {
    return this.queue.run(async () => {
      const end = this.metrics.passwordHashDuration.startTimer({ scheme });
      try {
        return await task();
      } finally {
        end();
      }
    }, gone);
  }
}
