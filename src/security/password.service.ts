import { createHash, createHmac } from 'node:crypto';
import argon2 from 'argon2';
import bcrypt from 'bcrypt';
import type { Metrics } from '../observability/metrics.js';
import { safeEqual } from './crypto.js';
import type { CallerGone, HashQueue } from './hash-queue.js';
import type { BreachedPasswords } from './breached-passwords.js';
import type { PasswordCheck, PasswordContext } from './password-policy.js';
import {
  BCRYPT_MAX_BYTES,
  checkPasswordPolicy,
  MAX_PASSWORD_INPUT_BYTES,
  normalisePassword,
} from './password-policy.js';

export type HashScheme =
  'bcrypt' | 'bcrypt-hmac' | 'argon2id' | 'sha256-legacy' | 'wrapped-sha256' | 'wrapped-bcrypt';

/** SecretBox.macKeys purpose of the pepper that pre-hashes passwords over bcrypt's 72 bytes. */
export const PASSWORD_PREHASH_PURPOSE = 'password-prehash';
const BCRYPT_HMAC_TAG = 'bcrypt-hmac:';

/** bcrypt costs below this are too cheap to keep at rest (production refuses BCRYPT_COST < 10 too). */
export const BCRYPT_FLOOR = 10;

export interface PasswordPolicy {
  scheme: 'bcrypt' | 'argon2id';
  bcryptCost: number;
  /**
   * Peppers for passwords over 72 bytes under bcrypt (current first, then the one of
   * AUTH_SECRET_PREVIOUS): such a password is stored as `bcrypt-hmac:` +
   * bcrypt(base64(HMAC-SHA256(pepper, password))), so every byte counts and none is truncated.
   */
  prehashKeys?: Buffer[];
}

export interface VerifyResult {
  ok: boolean;
  /** The stored hash is not the current policy: re-hash with the password just proven. */
  needsRehash: boolean;
}

// OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
// A bcrypt hash's settings: version, cost and 22-character salt (the first 29 characters).
const BCRYPT_SETTINGS = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{22}$/;

export function hashScheme(stored: string): HashScheme | null {
  if (BCRYPT.test(stored)) return 'bcrypt';
  if (stored.startsWith(BCRYPT_HMAC_TAG) && BCRYPT.test(stored.slice(BCRYPT_HMAC_TAG.length)))
    return 'bcrypt-hmac';
  if (stored.startsWith('$argon2id$')) return 'argon2id';
  if (/^sha256:[0-9a-f]{64}$/.test(stored)) return 'sha256-legacy';
  if (stored.startsWith('wrapped-sha256:') && BCRYPT.test(stored.slice(15))) return 'wrapped-sha256';
  if (stored.startsWith('wrapped-bcrypt:')) {
    const [settings, outer] = stored.slice(15).split(':');
    if (settings && outer && BCRYPT_SETTINGS.test(settings) && BCRYPT.test(outer)) return 'wrapped-bcrypt';
  }
  return null;
}

/** The bcrypt cost of a bcrypt or wrapped hash (the outer one: what a verification costs). */
function bcryptCost(stored: string): number {
  // The outer hash follows the last ':' of a tagged or wrapped form (bcrypt's alphabet has none).
  // Not the last '$2': a salt that begins with '2' (one hash in 64) put the cost at the wrong place.
  const outer = stored.slice(stored.lastIndexOf(':') + 1);
  return Number(outer.slice(4, 6));
}

const sha256Of = (normalised: string) => createHash('sha256').update(normalised, 'utf8').digest('hex');

/** 44 base64 characters: well inside bcrypt's 72 bytes, and every byte of the password counts. */
const prehashOf = (pepper: Buffer, normalised: string) =>
  createHmac('sha256', pepper).update(normalised, 'utf8').digest('base64');

const overBcryptLimit = (normalised: string) => Buffer.byteLength(normalised, 'utf8') > BCRYPT_MAX_BYTES;

/**
 * Import-time wrapping of a cheap legacy hash, so that no cheap hash stays at rest until its user
 * returns: `bcrypt(cost, sha256hex)` for unsalted SHA-256, `bcrypt(cost, old bcrypt hash)` for a
 * bcrypt hash below BCRYPT_FLOOR (its settings are kept to recompute it). Tagged `wrapped-…`, verified
 * by recomputing the inner hash, and replaced by a plain hash of the current policy at the next
 * successful sign-in. Any other hash is returned as it is.
 */
export async function wrapCheapHash(stored: string, cost: number): Promise<string> {
  const scheme = hashScheme(stored);
  if (scheme === 'sha256-legacy') return `wrapped-sha256:${await bcrypt.hash(stored.slice(7), cost)}`;
  if (scheme === 'bcrypt' && bcryptCost(stored) < BCRYPT_FLOOR) {
    // $2y$ (PHP) is $2b$ under another name, and the name the native binding knows.
    const inner = stored.replace(/^\$2y\$/, '$2b$');
    return `wrapped-bcrypt:${inner.slice(0, 29)}:${await bcrypt.hash(inner, cost)}`;
  }
  return stored;
}

export class PasswordService {
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly policy: PasswordPolicy,
    private readonly queue: HashQueue,
    private readonly metrics: Metrics,
    /** PWNED_PASSWORDS_URL: new passwords are looked up there (null: no breached-password check). */
    private readonly breached: BreachedPasswords | null = null,
  ) {}

  /**
   * Is this acceptable as a new password (sign-up, reset, change)? The policy's rules, then the
   * breached-password look-up, which fails open when the range API does not answer in time.
   */
  async checkNew(raw: string, context: PasswordContext = {}): Promise<PasswordCheck> {
    const check = checkPasswordPolicy(raw, this.policy.scheme, context);
    if (!check.ok || !this.breached) return check;
    if ((await this.breached.check(check.password)) === 'breached') {
      return {
        ok: false,
        reasons: ['Password appears in a known data breach: choose another one.'],
      };
    }
    return check;
  }

  get scheme(): 'bcrypt' | 'argon2id' {
    return this.policy.scheme;
  }

  /**
   * Hash with the current policy. The password must already have passed the policy check.
   * `gone`, here and below: the caller's client has left, so a hash still waiting is not spent.
   */
  async hash(password: string, gone?: CallerGone): Promise<string> {
    const normalised = normalisePassword(password);
    if (this.policy.scheme === 'bcrypt' && overBcryptLimit(normalised)) {
      const pepper = this.policy.prehashKeys?.[0];
      // The policy check accepts long passwords only because this pre-hash exists: never truncate.
      if (!pepper) throw new Error('a password over 72 bytes under bcrypt needs the pre-hash pepper');
      const outer = await this.timed(
        'bcrypt-hmac',
        () => bcrypt.hash(prehashOf(pepper, normalised), this.policy.bcryptCost),
        gone,
      );
      return `${BCRYPT_HMAC_TAG}${outer}`;
    }
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
    // bcrypt would compare only the first 72 bytes: a longer input is never a match.
    const tooLong = Buffer.byteLength(normalised, 'utf8') > BCRYPT_MAX_BYTES;
    let ok: boolean;
    let oldPepper = false;
    if (scheme === 'bcrypt-hmac') {
      const outer = stored.slice(BCRYPT_HMAC_TAG.length);
      const [current, previous] = this.policy.prehashKeys ?? [];
      ok = current
        ? await this.timed(scheme, () => bcrypt.compare(prehashOf(current, normalised), outer), gone)
        : false;
      // Made before AUTH_SECRET was rotated: still accepted, and re-hashed under the current pepper.
      if (!ok && previous) {
        ok = await this.timed(scheme, () => bcrypt.compare(prehashOf(previous, normalised), outer), gone);
        oldPepper = ok;
      }
    } else if (scheme === 'bcrypt') {
      const compared = await this.timed('bcrypt', () => bcrypt.compare(normalised, stored), gone);
      ok = compared && !tooLong;
    } else if (scheme === 'argon2id') {
      ok = await this.timed('argon2id', () => argon2.verify(stored, normalised), gone);
    } else if (scheme === 'wrapped-sha256') {
      const outer = stored.slice(15);
      ok = await this.timed(scheme, () => bcrypt.compare(sha256Of(normalised), outer), gone);
    } else if (scheme === 'wrapped-bcrypt') {
      const [settings, outer] = stored.slice(15).split(':') as [string, string];
      ok = await this.timed(
        scheme,
        async () => bcrypt.compare(await bcrypt.hash(normalised, settings), outer),
        gone,
      );
      ok = ok && !tooLong;
    } else {
      // Legacy unsalted SHA-256 stored before import wrapped it: compared in constant time; the
      // dummy below gives it a real hash's time.
      ok = safeEqual(`sha256:${sha256Of(normalised)}`, stored);
    }
    // Timing parity: a failure on a hash cheaper than the dummy (legacy, a low cost, another
    // scheme) would answer faster than an unknown address, which costs one dummy verification.
    // Run the dummy too, so every failure takes at least the dummy's time.
    if (!ok && this.cheaperThanDummy(stored, scheme)) await this.verifyDummy(password, gone);
    return { ok, needsRehash: ok && (oldPepper || this.needsRehash(stored, scheme)) };
  }

  /** Whether verifying against this hash may take less time than verifying against the dummy. */
  private cheaperThanDummy(stored: string, scheme: HashScheme): boolean {
    if (scheme === 'sha256-legacy') return true;
    if (this.policy.scheme === 'argon2id') {
      // bcrypt at the floor or above costs more than the OWASP argon2id parameters.
      return scheme === 'argon2id'
        ? argon2.needsRehash(stored, ARGON2_OPTIONS)
        : bcryptCost(stored) < BCRYPT_FLOOR;
    }
    return scheme === 'argon2id' || bcryptCost(stored) < this.policy.bcryptCost;
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
    if (scheme === null || scheme === 'sha256-legacy' || scheme.startsWith('wrapped-')) return true;
    if (this.policy.scheme === 'argon2id') {
      return scheme !== 'argon2id' || argon2.needsRehash(stored, ARGON2_OPTIONS);
    }
    // Policy bcrypt: an argon2id hash is already stronger; only weaker bcrypt costs are upgraded.
    return (scheme === 'bcrypt' || scheme === 'bcrypt-hmac') && bcryptCost(stored) < this.policy.bcryptCost;
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
