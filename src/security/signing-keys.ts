import { inTransaction } from '../storage/transaction.js';
import { createPrivateKey, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8 } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { SigningKey } from '../storage/entities/index.js';
import type { SecretBox } from './crypto.js';

const ALGORITHM = 'EdDSA';
export const SIGNING_KEY_SEAL_PURPOSE = 'signing-key';

export interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  publicKey: CryptoKey;
  privateKey: CryptoKey | null;
  /** The same private key as node's KeyObject: access tokens are signed with node:crypto (access-tokens.ts). */
  signer: KeyObject | null;
  createdAt: Date;
  retiredAt: Date | null;
}

/**
 * Signing keys live in the database, private halves sealed with AUTH_SECRET, so every replica
 * and every restart signs and verifies with the same keys. A retired key stays published
 * (and accepted) until every token it signed has expired.
 */
export class SigningKeyStore {
  private keys = new Map<string, LoadedKey>();
  private active: LoadedKey | null = null;
  private loadedAt = 0;
  private reloading: Promise<void> | null = null;

  constructor(
    private readonly em: () => EntityManager,
    private readonly box: SecretBox,
    private readonly accessTokenTtlSeconds: number,
    private readonly reloadIntervalMs = 60_000,
  ) {}

  /** Loads the keys, creating the first one if the database has none. */
  async init(): Promise<void> {
    await this.reload();
    if (!this.active) {
      // Replicas starting together on an empty table may each create a first key. Every replica
      // signs with the OLDEST unretired key, so they all agree at once; a replica whose key lost
      // retires it (it stays published for verification like any retired key).
      const mine = await this.createKey(this.em());
      await this.reload();
      const chosen = this.active as LoadedKey | null; // reload() replaced it
      if (chosen && chosen.kid !== mine) {
        await this.em().nativeUpdate(SigningKey, { kid: mine, retiredAt: null }, { retiredAt: new Date() });
        await this.reload();
      }
    }
  }

  async rotate(): Promise<string> {
    const em = this.em();
    const kid = await inTransaction(em, async (tx) => {
      await tx.nativeUpdate(SigningKey, { retiredAt: null }, { retiredAt: new Date() });
      return this.createKey(tx);
    });
    await this.reload();
    return kid;
  }

  /**
   * A compromised key: deleted at once, so it leaves the JWKS and no replica accepts its tokens
   * once it has re-read the keys (within the reload interval; a token with an unknown kid makes a
   * replica re-read at once). If it was the signing key, a new one replaces it in the same
   * transaction. Tokens it signed are refused from then on; their sessions stay, and clients get
   * new access tokens by refreshing.
   */
  async revoke(kid: string): Promise<{ revoked: boolean; replacedBy: string | null }> {
    const result = await inTransaction(this.em(), async (tx) => {
      const deleted = await tx.nativeDelete(SigningKey, { kid });
      if (deleted === 0) return { revoked: false, replacedBy: null };
      const signing = await tx.count(SigningKey, { retiredAt: null });
      return { revoked: true, replacedBy: signing === 0 ? await this.createKey(tx) : null };
    });
    await this.reload();
    return result;
  }

  /**
   * The key to sign with, never waiting for the database once one is loaded: a stale set is
   * re-read in the background. Signing happens inside transactions (refresh rotation seals the new
   * pair into its row), and a transaction that waited here for a second pooled connection could
   * deadlock the pool once every connection is held by such a transaction.
   */
  async signingKey(): Promise<LoadedKey> {
    if (!this.active) await this.reload();
    else if (Date.now() - this.loadedAt > this.reloadIntervalMs) {
      // A failed re-read keeps the loaded keys; the next signature tries again.
      this.reload().catch(() => undefined);
    }
    if (!this.active) throw new Error('no active signing key');
    return this.active;
  }

  /**
   * Key for a token's `kid`; an unknown kid triggers a reload at most once a second (another replica
   * may have rotated). A set older than the reload interval is re-read first, so a key revoked on
   * another replica (`rotate-keys --revoke`) stops verifying here within the interval; if that
   * re-read fails (database down), the loaded keys answer.
   */
  async verificationKey(kid: string): Promise<CryptoKey | null> {
    if (Date.now() - this.loadedAt > this.reloadIntervalMs) await this.reload().catch(() => undefined);
    let key = this.keys.get(kid);
    if (!key && Date.now() - this.loadedAt > 1_000) {
      await this.reload();
      key = this.keys.get(kid);
    }
    if (!key || !this.isPublished(key)) return null;
    return key.publicKey;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    if (Date.now() - this.loadedAt > this.reloadIntervalMs) await this.reload();
    return {
      keys: [...this.keys.values()]
        .filter((k) => this.isPublished(k))
        .map((k) => ({ ...k.publicJwk, kid: k.kid, alg: ALGORITHM, use: 'sig' })),
    };
  }

  private isPublished(key: LoadedKey): boolean {
    if (!key.retiredAt) return true;
    // Keep publishing for the life of the last token it signed, plus a minute of clock skew.
    return Date.now() < key.retiredAt.getTime() + (this.accessTokenTtlSeconds + 60) * 1000;
  }

  private async createKey(em: EntityManager): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, { crv: 'Ed25519', extractable: true });
    const kid = randomUUID();
    // A plain insert, not persist-and-flush: MikroORM's flush enters an AsyncLocalStorage, which on
    // Node 20 turns promise hooks on for the rest of the process (a cost on every request after).
    await em.insert(SigningKey, {
      kid,
      algorithm: ALGORITHM,
      publicJwk: JSON.stringify(await exportJWK(publicKey)),
      privateKeyEncrypted: this.box.seal(SIGNING_KEY_SEAL_PURPOSE, await exportPKCS8(privateKey)),
      createdAt: new Date(),
      retiredAt: null,
    });
    return kid;
  }

  private async reload(): Promise<void> {
    this.reloading ??= this.doReload().finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  private async doReload(): Promise<void> {
    const rows = await this.em().find(SigningKey, {}, { orderBy: { createdAt: 'asc', kid: 'asc' } });
    const keys = new Map<string, LoadedKey>();
    let active: LoadedKey | null = null;
    for (const row of rows) {
      const publicJwk = JSON.parse(row.publicJwk) as JWK;
      const existing = this.keys.get(row.kid);
      const key: LoadedKey = {
        kid: row.kid,
        publicJwk,
        publicKey: existing?.publicKey ?? ((await importJWK(publicJwk, ALGORITHM)) as CryptoKey),
        privateKey: null,
        signer: null,
        createdAt: row.createdAt,
        retiredAt: row.retiredAt,
      };
      // The oldest unretired key signs (after a rotation there is exactly one): see init().
      if (!row.retiredAt && !active) {
        if (existing?.privateKey && existing.signer) {
          key.privateKey = existing.privateKey;
          key.signer = existing.signer;
        } else {
          const pkcs8 = this.box.open(SIGNING_KEY_SEAL_PURPOSE, row.privateKeyEncrypted);
          key.privateKey = await importPKCS8(pkcs8, ALGORITHM);
          key.signer = createPrivateKey(pkcs8);
        }
        active = key;
      }
      keys.set(row.kid, key);
    }
    this.keys = keys;
    this.active = active;
    this.loadedAt = Date.now();
  }
}
