/** What the client keeps between requests. */
export interface StoredTokens {
  accessToken: string;
  /** null when the server keeps it in an HttpOnly cookie (browser cookie transport). */
  refreshToken: string | null;
}

/**
 * Where tokens live: the whole storage contract. `get` and `set` may be synchronous or return
 * promises (React Native secure storage is asynchronous). See storage.ts for the three modes.
 */
export interface TokenStore {
  get(): StoredTokens | null | Promise<StoredTokens | null>;
  set(tokens: StoredTokens | null): void | Promise<void>;
}

/** Tokens in this process's memory only: gone on reload. Servers, tests, short-lived scripts. */
export class MemoryTokenStore implements TokenStore {
  private tokens: StoredTokens | null = null;
  get(): StoredTokens | null {
    return this.tokens;
  }
  set(tokens: StoredTokens | null): void {
    this.tokens = tokens;
  }
}
