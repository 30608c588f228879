import { MemoryTokenStore } from './token-store.js';
import type { StoredTokens, TokenStore } from './token-store.js';

/** What a storage mode sets on PlintoClient: spread it into the options. */
export interface StorageMode {
  tokenStore: TokenStore;
  refreshTransport: 'payload' | 'cookie';
}

/**
 * Browsers: the refresh token travels only as the server's HttpOnly cookie, which page script can
 * never read (so an XSS cannot steal a long-lived credential); the access token lives in memory.
 * Nothing goes to localStorage or sessionStorage. After a reload, call `client.refresh()` once:
 * the cookie restores the session.
 */
export class BrowserTokenStore implements TokenStore {
  private accessToken: string | null = null;
  get(): StoredTokens | null {
    return this.accessToken === null ? null : { accessToken: this.accessToken, refreshToken: null };
  }
  set(tokens: StoredTokens | null): void {
    // A refresh token in a response body is never kept here: in this mode the cookie carries it.
    this.accessToken = tokens?.accessToken ?? null;
  }
}

/**
 * The interface a React Native app implements over its secure storage (Keychain on iOS,
 * Keystore-backed storage on Android), e.g. expo-secure-store or react-native-keychain.
 * See docs/CLIENTS.md for both.
 */
export interface SecureKeyValueStorage {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
}

/** Tokens as one JSON value under `key` in a SecureKeyValueStorage. */
export class SecureTokenStore implements TokenStore {
  constructor(
    private readonly storage: SecureKeyValueStorage,
    private readonly key = 'plinto.tokens',
  ) {}

  async get(): Promise<StoredTokens | null> {
    const raw = await this.storage.getItem(this.key);
    if (raw === null) return null;
    try {
      const value = JSON.parse(raw) as Partial<StoredTokens> | null;
      if (typeof value?.accessToken !== 'string') return null;
      return {
        accessToken: value.accessToken,
        refreshToken: typeof value.refreshToken === 'string' ? value.refreshToken : null,
      };
    } catch {
      // Unreadable (an older app version, a half-written value): treat as signed out.
      return null;
    }
  }

  async set(tokens: StoredTokens | null): Promise<void> {
    if (tokens === null) await this.storage.removeItem(this.key);
    else await this.storage.setItem(this.key, JSON.stringify(tokens));
  }
}

/** Browser mode: HttpOnly refresh cookie, access token in memory, nothing in web storage. */
export function browserStorage(): StorageMode {
  return { tokenStore: new BrowserTokenStore(), refreshTransport: 'cookie' };
}

/** Memory mode: both tokens in the response payload, kept in memory (Node, tests, scripts). */
export function memoryStorage(): StorageMode {
  return { tokenStore: new MemoryTokenStore(), refreshTransport: 'payload' };
}

/** Secure-storage mode (React Native): both tokens in the payload, kept in the platform's secure storage. */
export function secureStorage(storage: SecureKeyValueStorage, key?: string): StorageMode {
  return { tokenStore: new SecureTokenStore(storage, key), refreshTransport: 'payload' };
}
