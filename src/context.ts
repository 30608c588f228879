import type { EntityManager } from '@mikro-orm/core';
import type { Request, Response } from 'express';
import type { ClientInfo } from './auth/client-info.js';
import type { CachedProfile } from './auth/liveness-cache.js';

export interface AuthState {
  userId: string;
  sessionId: string;
  amr: string[];
  /** The user's profile as the liveness check found it in the cache (same round trip), for `me`. */
  cachedProfile?: CachedProfile;
  /**
   * The roles the access token carries (claim `roles`). Informational: role-guarded fields check
   * the user's current roles in the database (src/resolvers/auth-checker.ts), so a removed role
   * stops working at once, not at the token's expiry.
   */
  roles: readonly string[];
}

/** A request authenticated with an API key (`Authorization: Bearer plk_…`): no user, no session. */
export interface ApiKeyPrincipal {
  keyId: string;
  name: string;
  scopes: readonly string[];
}

/** Per-request GraphQL context: a forked EntityManager and the authenticated session, if any. */
export interface Context {
  em: EntityManager;
  auth: AuthState | null;
  /** Set instead of `auth` when an API key authenticated the request; it passes only scope checks. */
  apiKey?: ApiKeyPrincipal | null;
  client: ClientInfo;
  req: Request;
  res: Response;
  /** The browser asked for the refresh token as an HttpOnly cookie instead of in the payload. */
  cookieTransport: boolean;
  /** The refresh cookie's name (config.refreshCookieName). */
  refreshCookieName: string;
}

/**
 * The context app.ts builds per request. `em` is a getter on the prototype, forking on first use:
 * Apollo copies a context's own properties for each operation (Object.assign), which would call
 * an own getter and fork an entity manager on every request, a warm `me` included (issue 24, profile).
 */
export class RequestContext implements Context {
  declare readonly auth: AuthState | null;
  declare readonly apiKey: ApiKeyPrincipal | null;
  declare readonly client: ClientInfo;
  declare readonly req: Request;
  declare readonly res: Response;
  declare readonly cookieTransport: boolean;
  declare readonly refreshCookieName: string;

  constructor(
    private readonly forkEm: () => EntityManager,
    fields: Omit<Context, 'em'>,
  ) {
    Object.assign(this, fields);
  }

  get em(): EntityManager {
    return this.forkEm();
  }
}

/** The authenticated part of a context, for resolvers guarded by @Authorized(). */
export function requireAuth(context: Context): AuthState {
  if (!context.auth) throw new Error('requireAuth used outside an @Authorized() field');
  return context.auth;
}
