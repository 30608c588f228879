/** What the client keeps between requests. */
export interface StoredTokens {
  accessToken: string;
  /** null when the server keeps it in an HttpOnly cookie (browser cookie transport). */
  refreshToken: string | null;
}

/**
 * Where tokens live. Memory by default; on mobile, supply one backed by the platform's secure
 * storage (Keychain / Keystore). In browsers prefer the cookie transport: the refresh token then
 * never touches script-readable storage.
 */
export interface TokenStore {
  get(): StoredTokens | null | Promise<StoredTokens | null>;
  set(tokens: StoredTokens | null): void | Promise<void>;
}

export class MemoryTokenStore implements TokenStore {
  private tokens: StoredTokens | null = null;
  get(): StoredTokens | null {
    return this.tokens;
  }
  set(tokens: StoredTokens | null): void {
    this.tokens = tokens;
  }
}
