import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createSecretKey,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** 256 random bits, base64url: unguessable opaque tokens (refresh, email links, challenges). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Tokens are stored only as SHA-256: a leaked table yields nothing usable. 256-bit inputs need no salt or slow hash. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * HMAC-SHA256 under a key derived from AUTH_SECRET with HKDF, one key per label. For identifiers
 * that are hashed into lookup keys (an email in a Redis key): a plain SHA-256 of an address can be
 * reversed by hashing a list of candidate addresses; without AUTH_SECRET this cannot.
 */
export class KeyedHash {
  readonly key: Buffer;
  /** The same key as a KeyObject: createHmac converts a Buffer key on every call (half its cost). */
  private readonly keyObject: KeyObject;

  constructor(secret: string, label: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'plinto/keyed-hash/v1', label, 32));
    this.keyObject = createSecretKey(this.key);
  }

  hex(value: string): string {
    return createHmac('sha256', this.keyObject).update(value, 'utf8').digest('hex');
  }
}

/** HKDF label of the key that hashes emails into Redis keys (rate limits, failure counters). */
export const REDIS_EMAIL_KEY_LABEL = 'redis-email-key';

/** Constant-time comparison: response time must not reveal how many leading characters matched. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** A sealed value that neither AUTH_SECRET nor AUTH_SECRET_PREVIOUS opens (or that is malformed). */
export class SealedValueError extends Error {
  constructor(readonly purpose: string) {
    super(`a sealed ${purpose} value cannot be opened with AUTH_SECRET (or AUTH_SECRET_PREVIOUS)`);
    this.name = 'SealedValueError';
  }
}

/** Which secret opened a value: `previous` means it still needs `npm run reseal`. */
export interface Opened {
  plaintext: string;
  sealedWith: 'current' | 'previous';
}

/**
 * Authenticated encryption of secrets at rest (signing keys, TOTP secrets, the refresh grace pair,
 * waiting mail). One key per purpose, derived from AUTH_SECRET with HKDF; the purpose is also the
 * AAD, so a ciphertext cannot be moved from one column to another.
 *
 * Rotation: new values are always sealed with the current secret; a value opens with the current
 * secret, else with AUTH_SECRET_PREVIOUS, until `npm run reseal` has re-sealed everything and the
 * previous secret is removed.
 */
export class SecretBox {
  private readonly current: KeyRing;
  private readonly previous: KeyRing | null;

  constructor(secret: string, previousSecret: string | null = null) {
    this.current = new KeyRing(secret);
    this.previous = previousSecret ? new KeyRing(previousSecret) : null;
  }

  get hasPrevious(): boolean {
    return this.previous !== null;
  }

  /**
   * Keys for keyed hashes (HMAC) of `purpose`, current secret first, then AUTH_SECRET_PREVIOUS's.
   * A keyed hash cannot be re-sealed (its input is not stored): compute new ones with the first key
   * and accept a match under any, so a rotation does not invalidate them while both secrets are set.
   */
  macKeys(purpose: string): Buffer[] {
    const rings = this.previous ? [this.current, this.previous] : [this.current];
    return rings.map((ring) => ring.keyedHash(purpose).key);
  }

  seal(purpose: string, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key(purpose), iv);
    cipher.setAAD(Buffer.from(purpose, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', iv.toString('base64url'), body.toString('base64url'), tag.toString('base64url')].join('.');
  }

  /** The plain text; throws SealedValueError when no configured secret opens it. */
  open(purpose: string, sealed: string): string {
    return this.openDetailed(purpose, sealed).plaintext;
  }

  /**
   * A keyed hash (HMAC-SHA256, hex) for values that are stored only to be recognised again
   * (recovery codes): without AUTH_SECRET a copy of the table cannot be searched offline. Its
   * key is derived for `purpose` under an HKDF salt of its own, never one of the sealing keys.
   * New values are always hashed under the current secret.
   */
  mac(purpose: string, value: string): string {
    return this.current.keyedHash(purpose).hex(value);
  }

  /**
   * Every form a stored keyed hash may have while a rotation is under way (current first): a keyed
   * hash cannot be re-keyed without its input, so values hashed under AUTH_SECRET_PREVIOUS are
   * recognised until that secret is removed (docs/SECURITY.md, secret rotation).
   */
  macCandidates(purpose: string, value: string): string[] {
    const rings = this.previous ? [this.current, this.previous] : [this.current];
    return rings.map((ring) => ring.keyedHash(purpose).hex(value));
  }

  openDetailed(purpose: string, sealed: string): Opened {
    const current = tryOpen(this.current, purpose, sealed);
    if (current !== null) return { plaintext: current, sealedWith: 'current' };
    const previous = this.previous ? tryOpen(this.previous, purpose, sealed) : null;
    if (previous !== null) return { plaintext: previous, sealedWith: 'previous' };
    throw new SealedValueError(purpose);
  }
}

/** The per-purpose keys derived from one secret. */
class KeyRing {
  /**
   * KeyObjects, not Buffers: createCipheriv converts a Buffer key on every call, which was half
   * the cost of a seal (31 against 16 µs; every refresh seals its grace pair).
   */
  private readonly keys = new Map<string, KeyObject>();
  private readonly keyedHashes = new Map<string, KeyedHash>();

  constructor(private readonly secret: string) {}

  key(purpose: string): KeyObject {
    let key = this.keys.get(purpose);
    if (!key) {
      key = createSecretKey(
        Buffer.from(hkdfSync('sha256', this.secret, 'plinto/secret-box/v1', purpose, 32)),
      );
      this.keys.set(purpose, key);
    }
    return key;
  }

  /** The keyed hash for `purpose` (KeyedHash: HKDF under a salt of its own, never a sealing key). */
  keyedHash(purpose: string): KeyedHash {
    let keyed = this.keyedHashes.get(purpose);
    if (!keyed) {
      keyed = new KeyedHash(this.secret, purpose);
      this.keyedHashes.set(purpose, keyed);
    }
    return keyed;
  }
}

function tryOpen(ring: KeyRing, purpose: string, sealed: string): string | null {
  const [version, iv, body, tag] = sealed.split('.');
  if (version !== 'v1' || !iv || body === undefined || !tag) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', ring.key(purpose), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(purpose, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    // GCM authentication failed: another secret (or a tampered value).
    return null;
  }
}
