import { createHash } from 'node:crypto';
import { SignJWT, createRemoteJWKSet, errors as joseErrors, importPKCS8, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import type { AppleClientKey, OAuthProviderConfig } from '../../config/oauth-providers.js';
import type { Metrics } from '../../observability/metrics.js';
import { parseEmail } from '../email.js';

/** What a provider proved: who (provider + subject) and the email as it gave it. */
export interface ProvenIdentity {
  provider: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
}

/**
 * The stable codes a failed callback redirects with (`#error=…`): never the provider's own text.
 * `access_denied` (the user said no), `invalid_state` (unknown, used or expired state),
 * `invalid_id_token` (issuer, audience, nonce, signature or expiry), `provider_error` (the provider
 * answered with an error or nonsense), `provider_unavailable` (no answer in time),
 * `server_error`. (A link to an identity that is another account's is answered by completeLinkIdentity.)
 */
export type SocialErrorCode =
  | 'access_denied'
  | 'invalid_state'
  | 'invalid_id_token'
  | 'provider_error'
  | 'provider_unavailable'
  | 'server_error';

export class SocialProviderError extends Error {
  constructor(
    readonly code: SocialErrorCode,
    options?: { cause?: unknown },
  ) {
    super(`social sign-in failed: ${code}`, options);
    this.name = 'SocialProviderError';
  }
}

export interface AuthorizationChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** The clock tolerance for `exp`/`iat`/`nbf` of ID tokens (seconds). */
export const CLOCK_TOLERANCE_SECONDS = 30;
const PROVIDER_TIMEOUT_SECONDS = 10;
const ID_TOKEN_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/** SHA-256 of the app's nonce, hex: what native SDKs put in the ID token (`nonce` claim). */
export function nonceHash(nonce: string): string {
  return createHash('sha256').update(nonce, 'utf8').digest('hex');
}

/** How long an Apple client secret is valid (Apple allows up to six months; a day is enough). */
export const APPLE_CLIENT_SECRET_SECONDS = 86_400;

/**
 * Sign in with Apple's client secret: an ES256 JWT signed with the team's key, header `kid` the
 * key id, `iss` the team id, `sub` the client (Services) id, `aud` https://appleid.apple.com.
 */
export async function appleClientSecret(
  key: AppleClientKey,
  clientId: string,
  now = Math.floor(Date.now() / 1000),
): Promise<string> {
  const privateKey = await importPKCS8(key.privateKey, 'ES256');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: key.keyId })
    .setIssuer(key.teamId)
    .setSubject(clientId)
    .setAudience('https://appleid.apple.com')
    .setIssuedAt(now)
    .setExpirationTime(now + APPLE_CLIENT_SECRET_SECONDS)
    .sign(privateKey);
}

/**
 * client_secret_post with a fresh Apple client secret: made on first use and again an hour before
 * it expires (the discovered configuration is cached for the life of the process).
 */
function appleClientAuth(key: AppleClientKey, clientId: string): oidc.ClientAuth {
  let current: { secret: string; renewAt: number } | null = null;
  const auth = async (_as: unknown, _client: unknown, body: URLSearchParams): Promise<void> => {
    const now = Math.floor(Date.now() / 1000);
    if (!current || now >= current.renewAt) {
      current = {
        secret: await appleClientSecret(key, clientId, now),
        renewAt: now + APPLE_CLIENT_SECRET_SECONDS - 3600,
      };
    }
    body.set('client_id', clientId);
    body.set('client_secret', current.secret);
  };
  // openid-client awaits the client authentication (oauth4webapi's ClientAuth may return a promise).
  return auth as unknown as oidc.ClientAuth;
}

interface Discovered {
  config: oidc.Configuration;
  jwks: ReturnType<typeof createRemoteJWKSet> | null;
}

/**
 * The configured providers and everything that talks to them: discovery (cached), the
 * authorization URL, the code exchange (openid-client: state, PKCE, nonce, issuer, audience,
 * expiry), the ID token's signature against the provider's JWKS (jose's remote set: cached, and
 * fetched again when a token names an unknown `kid`), and GitHub's user API.
 */
export class SocialProviders {
  private readonly byId: Map<string, OAuthProviderConfig>;
  private readonly discovered = new Map<string, Promise<Discovered>>();

  constructor(
    providers: readonly OAuthProviderConfig[],
    private readonly appUrl: string,
    private readonly metrics: Metrics,
    /**
     * After a JWKS fetch, no other for this long: a token with an unknown `kid` makes one fresh fetch
     * (the provider rotated its keys), a flood of them cannot make the provider's JWKS a target.
     */
    private readonly jwksCooldownMs = 30_000,
  ) {
    this.byId = new Map(providers.map((p) => [p.id, p]));
  }

  list(): OAuthProviderConfig[] {
    return [...this.byId.values()];
  }

  get(id: string): OAuthProviderConfig | null {
    return this.byId.get(id) ?? null;
  }

  /** Plinto's own callback for this provider, as registered at the provider. */
  redirectUri(provider: OAuthProviderConfig): string {
    return `${this.appUrl}/oauth/callback/${provider.id}`;
  }

  async authorizationUrl(provider: OAuthProviderConfig, checks: AuthorizationChecks): Promise<string> {
    const { config } = await this.discover(provider);
    const parameters: Record<string, string> = {
      redirect_uri: this.redirectUri(provider),
      scope: provider.scopes.join(' '),
      state: checks.state,
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
    };
    if (provider.kind === 'oidc') parameters.nonce = checks.nonce;
    if (provider.responseMode === 'form_post') parameters.response_mode = 'form_post';
    return oidc.buildAuthorizationUrl(config, parameters).href;
  }

  /**
   * The callback: exchanges the code and proves the identity. `callback` is the provider's answer
   * (query or form_post body). Throws SocialProviderError with a stable code.
   */
  async exchange(
    provider: OAuthProviderConfig,
    callback: URLSearchParams,
    checks: AuthorizationChecks,
  ): Promise<ProvenIdentity> {
    const error = callback.get('error');
    if (error) throw new SocialProviderError(error === 'access_denied' ? 'access_denied' : 'provider_error');
    const { config } = await this.discover(provider);
    const redirectUri = this.redirectUri(provider);
    const current =
      provider.responseMode === 'form_post'
        ? new Request(redirectUri, { method: 'POST', body: callback })
        : new URL(`${redirectUri}?${callback.toString()}`);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await this.timed(provider, 'token', () =>
        oidc.authorizationCodeGrant(
          config,
          current,
          {
            expectedState: checks.state,
            pkceCodeVerifier: checks.codeVerifier,
            ...(provider.kind === 'oidc' ? { expectedNonce: checks.nonce, idTokenExpected: true } : {}),
          },
          { redirect_uri: redirectUri },
        ),
      );
    } catch (cause) {
      throw classify(cause);
    }
    if (provider.kind === 'github') return this.githubIdentity(provider, tokens.access_token);
    const idToken = tokens.id_token;
    if (!idToken) throw new SocialProviderError('invalid_id_token');
    // openid-client checked issuer, audience, expiry and nonce; the signature is checked here, against the JWKS.
    const verified = await this.verifyIdToken(provider, idToken, {
      audiences: [provider.clientId],
      nonce: checks.nonce,
    });
    const identity: ProvenIdentity = {
      provider: verified.provider,
      subject: verified.subject,
      email: verified.email,
      emailVerified: verified.emailVerified,
    };
    // Providers that keep the email out of the ID token (it is then in userinfo, for the same subject).
    if (identity.email === null && config.serverMetadata().userinfo_endpoint) {
      try {
        const info = await this.timed(provider, 'userinfo', () =>
          oidc.fetchUserInfo(config, tokens.access_token, identity.subject),
        );
        return identityFrom(provider.id, info as unknown as JWTPayload);
      } catch (cause) {
        throw classify(cause);
      }
    }
    return identity;
  }

  /**
   * An ID token, validated completely: signature against the provider's JWKS, issuer, one of
   * `audiences`, expiry, and the nonce (`nonce`: equal; `nonceHash`: equal to its SHA-256, the
   * native SDKs' convention).
   */
  async verifyIdToken(
    provider: OAuthProviderConfig,
    idToken: string,
    expect: { audiences: readonly string[]; nonce?: string; hashedNonce?: string },
  ): Promise<ProvenIdentity & { expiresAt: Date }> {
    if (provider.kind !== 'oidc' || !provider.issuer) throw new SocialProviderError('invalid_id_token');
    const discovered = await this.discover(provider);
    const issuer = discovered.config.serverMetadata().issuer;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, discovered.jwks!, {
        issuer,
        audience: [...expect.audiences],
        algorithms: ID_TOKEN_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (cause) {
      if (cause instanceof joseErrors.JWKSTimeout)
        throw new SocialProviderError('provider_unavailable', { cause });
      throw new SocialProviderError('invalid_id_token', { cause });
    }
    const wanted = expect.nonce ?? expect.hashedNonce;
    if (!wanted || typeof payload.nonce !== 'string' || payload.nonce !== wanted) {
      throw new SocialProviderError('invalid_id_token');
    }
    // A token for several audiences must name this client as its authorized party.
    if (
      Array.isArray(payload.aud) &&
      payload.aud.length > 1 &&
      !expect.audiences.includes(String(payload.azp))
    ) {
      throw new SocialProviderError('invalid_id_token');
    }
    return { ...identityFrom(provider.id, payload), expiresAt: new Date(payload.exp! * 1000) };
  }

  /** GitHub (OAuth 2.0): the numeric user id is the subject; the primary email, when GitHub verified it. */
  private async githubIdentity(provider: OAuthProviderConfig, accessToken: string): Promise<ProvenIdentity> {
    const api = async (path: string): Promise<unknown> =>
      this.timed(provider, 'user-api', async () => {
        let response: Response;
        try {
          response = await fetch(`${provider.apiBaseUrl}${path}`, {
            headers: {
              authorization: `Bearer ${accessToken}`,
              accept: 'application/vnd.github+json',
              'user-agent': 'plinto',
              'x-github-api-version': '2022-11-28',
            },
            signal: AbortSignal.timeout(PROVIDER_TIMEOUT_SECONDS * 1000),
          });
        } catch (cause) {
          throw new SocialProviderError('provider_unavailable', { cause });
        }
        if (!response.ok) throw new SocialProviderError('provider_error');
        return response.json().catch((cause: unknown) => {
          throw new SocialProviderError('provider_error', { cause });
        });
      });
    const user = (await api('/user')) as { id?: unknown };
    if (typeof user?.id !== 'number' && typeof user?.id !== 'string')
      throw new SocialProviderError('provider_error');
    const emails = await api('/user/emails');
    const primary = Array.isArray(emails)
      ? (emails as Array<{ email?: unknown; primary?: unknown; verified?: unknown }>).find(
          (e) => e.primary === true && e.verified === true && typeof e.email === 'string',
        )
      : undefined;
    const email = primary ? parseEmail(primary.email as string) : null;
    return { provider: provider.id, subject: String(user.id), email, emailVerified: email !== null };
  }

  /** Discovery (or GitHub's fixed metadata), once per provider; a failure is not cached. */
  private discover(provider: OAuthProviderConfig): Promise<Discovered> {
    let pending = this.discovered.get(provider.id);
    if (!pending) {
      pending = this.load(provider);
      this.discovered.set(provider.id, pending);
      pending.catch(() => this.discovered.delete(provider.id));
    }
    return pending;
  }

  private async load(provider: OAuthProviderConfig): Promise<Discovered> {
    const clientSecret = provider.clientSecret ?? undefined;
    const insecure = (url: string | null) => url !== null && url.startsWith('http://');
    if (provider.kind === 'github') {
      const config = new oidc.Configuration(
        {
          issuer: 'https://github.com',
          authorization_endpoint: provider.authorizationEndpoint!,
          token_endpoint: provider.tokenEndpoint!,
        },
        provider.clientId,
        clientSecret,
      );
      config.timeout = PROVIDER_TIMEOUT_SECONDS;
      if (insecure(provider.tokenEndpoint)) oidc.allowInsecureRequests(config);
      return { config, jwks: null };
    }
    let config: oidc.Configuration;
    try {
      config = await this.timed(provider, 'discovery', () =>
        oidc.discovery(
          new URL(provider.issuer!),
          provider.clientId,
          provider.appleKey ? undefined : clientSecret,
          provider.appleKey ? appleClientAuth(provider.appleKey, provider.clientId) : undefined,
          {
            timeout: PROVIDER_TIMEOUT_SECONDS,
            ...(insecure(provider.issuer) ? { execute: [oidc.allowInsecureRequests] } : {}),
          },
        ),
      );
    } catch (cause) {
      throw new SocialProviderError('provider_unavailable', { cause });
    }
    config.timeout = PROVIDER_TIMEOUT_SECONDS;
    const jwksUri = config.serverMetadata().jwks_uri;
    if (!jwksUri) throw new SocialProviderError('provider_error');
    const jwks = createRemoteJWKSet(new URL(jwksUri), {
      timeoutDuration: PROVIDER_TIMEOUT_SECONDS * 1000,
      cooldownDuration: this.jwksCooldownMs,
      cacheMaxAge: 10 * 60_000,
    });
    return { config, jwks };
  }

  private async timed<T>(
    provider: OAuthProviderConfig,
    operation: string,
    call: () => Promise<T>,
  ): Promise<T> {
    const end = this.metrics.socialProviderDuration.startTimer({ provider: provider.id, operation });
    try {
      return await call();
    } finally {
      end();
    }
  }
}

function identityFrom(provider: string, payload: JWTPayload): ProvenIdentity {
  const rawEmail = typeof payload.email === 'string' ? payload.email : null;
  const email = rawEmail ? parseEmail(rawEmail) : null;
  // Apple sends "true" as a string.
  const verified = payload.email_verified === true || payload.email_verified === 'true';
  return { provider, subject: String(payload.sub), email, emailVerified: email !== null && verified };
}

/** openid-client's errors, as one of the stable codes (never their text). */
function classify(cause: unknown): SocialProviderError {
  if (cause instanceof SocialProviderError) return cause;
  const error = cause as { code?: string; name?: string; error?: string; cause?: unknown };
  if (error?.name === 'TimeoutError' || error?.name === 'AbortError' || error?.name === 'TypeError') {
    return new SocialProviderError('provider_unavailable', { cause });
  }
  if (error?.error === 'access_denied') return new SocialProviderError('access_denied', { cause });
  const code = error?.code ?? '';
  // The state and the ID token's claims (iss, aud, exp, nonce, azp) are the callback's to blame.
  if (code === 'OAUTH_INVALID_RESPONSE' && /state/i.test(String((cause as Error).message))) {
    return new SocialProviderError('invalid_state', { cause });
  }
  if (
    code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' ||
    code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' ||
    code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED'
  ) {
    return new SocialProviderError('invalid_id_token', { cause });
  }
  if (code === 'OAUTH_RESPONSE_BODY_ERROR' || code === 'OAUTH_AUTHORIZATION_RESPONSE_ERROR') {
    return new SocialProviderError('provider_error', { cause });
  }
  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || code === 'OAUTH_INVALID_RESPONSE') {
    return new SocialProviderError('provider_error', { cause });
  }
  return new SocialProviderError('provider_error', { cause });
}
