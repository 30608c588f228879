import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/** 256 random bits, base64url: unguessable opaque tokens (refresh, email links, challenges). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Tokens are stored only as SHA-256: a leaked table yields nothing usable. 256-bit inputs need no salt or slow hash. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

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
    const label = `mac:${purpose}`;
    return [this.current.key(label), ...(this.previous ? [this.previous.key(label)] : [])];
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
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly secret: string) {}

  key(purpose: string): Buffer {
    let key = this.keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.secret, 'plinto/secret-box/v1', purpose, 32));
      this.keys.set(purpose, key);
    }
    return key;
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
