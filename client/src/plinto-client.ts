import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import {
  MeDocument,
  RefreshSessionDocument,
  RevokeSessionDocument,
  SessionsDocument,
  SignInDocument,
  SignOutDocument,
  SignOutEverywhereDocument,
  SignUpDocument,
} from '../generated/graphql.js';
import type {
  MeQuery,
  RefreshSessionMutation,
  SessionsQuery,
  SignInInput,
  SignInMutation,
  SignInSuccessFieldsFragment,
  SignUpInput,
  SignUpMutation,
} from '../generated/graphql.js';

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

/** A top-level GraphQL error (not a result-union member): RATE_LIMITED, UNAUTHENTICATED, … */
export class PlintoError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Seconds to wait before retrying, for RATE_LIMITED. */
    readonly retryAfter: number | null = null,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'PlintoError';
  }
}

export interface PlintoClientOptions {
  /** The GraphQL endpoint, e.g. https://auth.example.com/graphql */
  url: string;
  fetch?: typeof fetch;
  tokenStore?: TokenStore;
  /** 'cookie' (browsers): the refresh token travels as an HttpOnly cookie; 'payload' (mobile, servers). */
  refreshTransport?: 'payload' | 'cookie';
  headers?: Record<string, string>;
  /** Called after every refresh attempt, with its outcome. */
  onRefresh?: (succeeded: boolean) => void;
}

type Document<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & { toString(): string };

interface GraphQLBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; retryAfter?: number } }>;
}

/** A small fetch-based Plinto client for browsers, React Native and Node, built on the generated documents. */
export class PlintoClient {
  private readonly fetchImpl: typeof fetch;
  private readonly store: TokenStore;
  private refreshing: Promise<boolean> | null = null;

  constructor(private readonly options: PlintoClientOptions) {
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.store = options.tokenStore ?? new MemoryTokenStore();
  }

  /**
   * Runs any generated document. With a stored access token it is sent; when the server answers
   * UNAUTHENTICATED, the client refreshes once (one refresh in flight however many requests
   * failed together) and retries the request once.
   */
  async request<TResult, TVariables>(
    document: Document<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<TResult> {
    const sentWith = (await this.store.get())?.accessToken ?? null;
    try {
      return await this.send(document, variables, sentWith);
    } catch (error) {
      if (!(error instanceof PlintoError) || error.code !== 'UNAUTHENTICATED' || sentWith === null)
        throw error;
      const current = (await this.store.get())?.accessToken ?? null;
      // Another request already refreshed while this one was in flight: just retry with the new token.
      const refreshed = current !== null && current !== sentWith ? true : await this.refresh();
      if (!refreshed) throw error;
      return this.send(document, variables, (await this.store.get())?.accessToken ?? null);
    }
  }

  /** Rotates the refresh token; concurrent callers share one refresh. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  async signUp(input: SignUpInput): Promise<SignUpMutation['signUp']> {
    const { signUp } = await this.send(SignUpDocument, { input }, null);
    if (signUp.__typename === 'SignInSuccess') await this.keep(signUp);
    return signUp;
  }

  async signIn(input: SignInInput): Promise<SignInMutation['signIn']> {
    const { signIn } = await this.send(SignInDocument, { input }, null);
    if (signIn.__typename === 'SignInSuccess') await this.keep(signIn);
    return signIn;
  }

  async me(): Promise<MeQuery['me']> {
    return (await this.request(MeDocument)).me;
  }

  async sessions(): Promise<SessionsQuery['sessions']> {
    return (await this.request(SessionsDocument)).sessions;
  }

  async revokeSession(id: string): Promise<boolean> {
    return (await this.request(RevokeSessionDocument, { id })).revokeSession;
  }

  async signOut(): Promise<boolean> {
    try {
      return (await this.request(SignOutDocument)).signOut;
    } finally {
      await this.store.set(null);
    }
  }

  async signOutEverywhere(): Promise<number> {
    try {
      return (await this.request(SignOutEverywhereDocument)).signOutEverywhere;
    } finally {
      await this.store.set(null);
    }
  }

  /** Stores the tokens of a successful sign-in (also for flows run through `request`). */
  async keep(success: SignInSuccessFieldsFragment): Promise<void> {
    await this.store.set({
      accessToken: success.tokens.accessToken,
      refreshToken: success.tokens.refreshToken,
    });
  }

  async tokens(): Promise<StoredTokens | null> {
    return this.store.get();
  }

  private async doRefresh(): Promise<boolean> {
    const stored = await this.store.get();
    const cookie = this.options.refreshTransport === 'cookie';
    if (!cookie && !stored?.refreshToken) return false;
    let result: RefreshSessionMutation['refreshSession'];
    try {
      result = (
        await this.send(RefreshSessionDocument, { refreshToken: cookie ? null : stored?.refreshToken }, null)
      ).refreshSession;
    } catch (error) {
      this.options.onRefresh?.(false);
      throw error;
    }
    if (result.__typename === 'SignInSuccess') await this.keep(result);
    else await this.store.set(null);
    this.options.onRefresh?.(result.__typename === 'SignInSuccess');
    return result.__typename === 'SignInSuccess';
  }

  private async send<TResult, TVariables>(
    document: Document<TResult, TVariables>,
    variables: TVariables | undefined,
    accessToken: string | null,
  ): Promise<TResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...this.options.headers };
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    if (this.options.refreshTransport === 'cookie') headers['x-refresh-token-transport'] = 'cookie';
    const response = await this.fetchImpl(this.options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
      credentials: this.options.refreshTransport === 'cookie' ? 'include' : 'same-origin',
    });
    let body: GraphQLBody<TResult>;
    try {
      body = (await response.json()) as GraphQLBody<TResult>;
    } catch {
      throw new PlintoError(
        'BAD_RESPONSE',
        `Unexpected response (HTTP ${response.status}).`,
        null,
        response.status,
      );
    }
    const first = body.errors?.[0];
    if (first) {
      const header = Number(response.headers.get('retry-after'));
      const retryAfter =
        first.extensions?.retryAfter ?? (Number.isFinite(header) && header > 0 ? header : null);
      throw new PlintoError(first.extensions?.code ?? 'UNKNOWN', first.message, retryAfter, response.status);
    }
    if (!body.data) throw new PlintoError('BAD_RESPONSE', 'The response had no data.', null, response.status);
    return body.data;
  }
}
