import type { WebAuthnConfig } from './webauthn-config.js';
/** What loadConfig returns: a frozen, typed view of the environment. */
import type { OAuthProviderConfig } from './oauth-providers.js';

export type DatabaseConfig =
  { kind: 'postgresql'; url: string; poolMax?: number } | { kind: 'sqlite'; path: string };

export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** One Redis address (TLS when `rediss://`), or the Sentinels that name the current primary. */
export type RedisConfig =
  | { kind: 'url'; url: string; tls: boolean; tlsCa: string | null }
  | {
      kind: 'sentinel';
      sentinels: RedisNodeAddress[];
      name: string;
      sentinelPassword: string | null;
      password: string | null;
    };

export interface RateLimitRule {
  limit: number;
  durationSeconds: number;
}

export interface Config {
  readonly production: boolean;
  readonly embeddedDefault: boolean;
  readonly port: number;
  readonly host: string;
  /** The separate /metrics listener: METRICS_PORT, 9464 by default in production, else none. */
  readonly metricsPort: number | null;
  /** /metrics also on the main port: METRICS_ON_MAIN_PORT, by default only when there is no metrics port. */
  readonly metricsOnMainPort: boolean;
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly databaseUrl: string;
  /** null: the in-memory limiter and cache of the development mode. */
  readonly redis: RedisConfig | null;
  readonly redisKeyPrefix: string;
  readonly smtpUrl: string | null;
  /** smtp:// must upgrade with STARTTLS (production, unless SMTP_INSECURE=true); smtps:// is TLS anyway. */
  readonly smtpRequireTls: boolean;
  readonly mailFrom: string;
  readonly appUrl: string;
  /**
   * The refresh cookie's name: `__Secure-plinto_refresh` when APP_URL is https (the browser then
   * refuses the cookie unless it is Secure and set over https), `plinto_refresh` for http:// development.
   */
  readonly refreshCookieName: string;
  readonly authSecret: string;
  readonly authSecretSource: 'environment' | 'generated-dev-file';
  /** The secret being rotated away from: sealed values open with it until `npm run reseal`. */
  readonly authSecretPrevious: string | null;
  /** Apply pending migrations at start (default: development yes, production no). */
  readonly migrateOnStart: boolean;
  readonly trustProxy: boolean | number | string;
  readonly passwordHash: 'bcrypt' | 'argon2id';
  readonly bcryptCost: number;
  readonly hashConcurrency: number;
  /** Nice value (0–19) of libuv's thread pool, where passwords hash; 0 leaves it alone. */
  readonly hashThreadNice: number;
  readonly hashQueueLimit: number;
  /** GraphQL requests executed at once (GRAPHQL_MAX_IN_FLIGHT); more wait at the admission gate. */
  readonly graphqlMaxInFlight: number;
  readonly signupMode: 'verify-first' | 'immediate';
  readonly corsOrigins: readonly string[];
  readonly jwtAudience: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly refreshGraceSeconds: number;
  /** Step-up: how recent the session's last primary authentication must be for sensitive changes. */
  readonly stepUpMaxAgeSeconds: number;
  /** A session's absolute lifetime from its sign-in; a refresh never extends it past this. */
  readonly sessionMaxLifetimeSeconds: number;
  /** The same for a session made with a second factor (`mfa` in its amr): NIST AAL2's 12 hours. */
  readonly mfaSessionMaxLifetimeSeconds: number;
  /** A second-factor session not refreshed for this long ends (NIST AAL2's 30 idle minutes). */
  readonly mfaSessionIdleTimeoutSeconds: number;
  /** SIGNUP_MODE=verify-first: a never-verified account is swept this long after sign-up. */
  readonly unverifiedAccountLifetimeSeconds: number;
  /** k-anonymity range API of breached passwords (first 5 hex of SHA-1 sent); null = no check. */
  readonly pwnedPasswordsUrl: string | null;
  /** Waiting period of a lost-second-factor recovery before the factor is removed. */
  readonly mfaRecoveryDelaySeconds: number;
  /** ADMIN_REQUIRE_MFA (default true): admin fields need a session with a second factor or passkey. */
  readonly adminRequireMfa: boolean;
  /** Requests per minute one API key may make (a fixed window, shared through Redis). */
  readonly apiKeyRateLimitPerMinute: number;
  readonly sessionLivenessCacheSeconds: number;
  /** How stale the in-memory signing keys may get before they are re-read (in the background). */
  readonly signingKeyReloadSeconds: number;
  readonly emailVerificationTtlSeconds: number;
  readonly passwordResetTtlSeconds: number;
  readonly magicLinkTtlSeconds: number;
  /** How often the mail sender looks for due outbox rows (it is also woken at once by new mail). */
  readonly mailPollIntervalMs: number;
  /** First retry delay after a failed delivery; doubles per attempt up to mailRetryMaxMs. */
  readonly mailRetryBaseMs: number;
  readonly mailRetryMaxMs: number;
  /** Connect, greeting and socket timeout of one SMTP delivery attempt. */
  readonly mailSendTimeoutMs: number;
  readonly rateLimitsEnabled: boolean;
  readonly rateLimitOverrides: Readonly<Record<string, RateLimitRule>>;
  readonly logLevel: string;
  readonly shutdownTimeoutSeconds: number;
  /** After SIGTERM, how long /ready says 503 while still serving, before the listener closes. */
  readonly shutdownDrainSeconds: number;
  readonly totpIssuer: string;
  readonly mfaChallengeTtlSeconds: number;
  /** How often the expired-row sweeper runs; 0 turns it off (another replica or a cron job does it). */
  readonly cleanupIntervalSeconds: number;
  /** Days a session (and its refresh tokens) is kept after it expired or was revoked. */
  readonly sessionRetentionDays: number;
  /** Days an MFA challenge or emailed one-time token is kept after it expired. */
  readonly tokenRetentionDays: number;
  /** Days a mail that the SMTP server refused for good stays in the outbox. */
  readonly failedMailRetentionDays: number;
  /** Passkeys (WebAuthn): WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME, WEBAUTHN_ORIGINS. */
  readonly webauthn: WebAuthnConfig;
  /** Social sign-in providers (OAUTH_PROVIDERS_FILE or OAUTH_PROVIDERS), validated. */
  readonly oauthProviders: readonly OAuthProviderConfig[];
  /** OAUTH_REDIRECT_ALLOWLIST: origins and app schemes (`com.example.app:`) a social sign-in may return to. */
  readonly oauthRedirectAllowlist: readonly string[];
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: deliver to loopback/private addresses (tests; never in a real deployment). */
  readonly webhookAllowPrivateNetworks: boolean;
  readonly webhookRequireHttps: boolean;
  readonly webhookPollIntervalMs: number;
  /** First retry delay; doubles per attempt (capped at 6 h, ±20 % jitter) for up to 3 days. */
  readonly webhookRetryBaseMs: number;
  /** Days delivered and failed deliveries are kept (webhookDeliveries history) before the sweeper deletes them. */
  readonly webhookRetentionDays: number;
  /** WEBHOOK_LEASE_MS: a replica's claim on a delivery; a killed replica's deliveries are sent again after it. */
  readonly webhookLeaseMs: number;
}
