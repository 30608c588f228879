import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
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

/**
 * HMAC-SHA256 under a key derived from AUTH_SECRET with HKDF, one key per label. For identifiers
 * that are hashed into lookup keys (an email in a Redis key): a plain SHA-256 of an address can be
 * reversed by hashing a list of candidate addresses; without AUTH_SECRET this cannot.
 */
export class KeyedHash {
  private readonly key: Buffer;

  constructor(secret: string, label: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'plinto/keyed-hash/v1', label, 32));
  }

  hex(value: string): string {
    return createHmac('sha256', this.key).update(value, 'utf8').digest('hex');
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

/**
 * Authenticated encryption of secrets at rest (signing keys, TOTP secrets, the refresh grace pair).
 * One key per purpose, derived from AUTH_SECRET with HKDF; the purpose is also the AAD, so a
 * ciphertext cannot be moved from one column to another.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly secret: string) {}

  private key(purpose: string): Buffer {
    let key = this.keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.secret, 'plinto/secret-box/v1', purpose, 32));
      this.keys.set(purpose, key);
    }
    return key;
  }

  seal(purpose: string, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(purpose), iv);
    cipher.setAAD(Buffer.from(purpose, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', iv.toString('base64url'), body.toString('base64url'), tag.toString('base64url')].join('.');
  }

  open(purpose: string, sealed: string): string {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || body === undefined || !tag) throw new Error('sealed value is malformed');
    const decipher = createDecipheriv('aes-256-gcm', this.key(purpose), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(purpose, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}
