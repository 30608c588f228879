import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config/config-error.js';
import type { Config, DatabaseConfig } from './config/config.types.js';
import { devSecret } from './config/dev-secret.js';
import { parseRedisConfig } from './config/redis-config.js';
import {
  boolFromEnv,
  intFromEnv,
  parseCorsOrigins,
  parseDatabaseUrl,
  parseRateLimits,
  parseTrustProxy,
} from './config/env-parsers.js';
import { checkProductionSecret, checkTrustProxy, checkUrlPassword } from './config/secret-checks.js';
import { parseWebAuthnConfig } from './config/webauthn-config.js';
import { loadOAuthProviders, parseRedirectAllowlist } from './config/oauth-providers.js';

/**
 * The only reader of process.env. Everything else receives a frozen, typed Config.
 * Here: every variable (schema), its default, and the checks across variables; the parts live in config/.
 */

export { ConfigError } from './config/config-error.js';

/** The refresh cookie's name before 0.2 (and over http:// development); still read for one release. */
export const LEGACY_REFRESH_COOKIE = 'plinto_refresh';
export type { Config, DatabaseConfig, RateLimitRule, RedisConfig } from './config/config.types.js';

const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: intFromEnv(0, 65535).optional(),
  HOST: z.string().min(1).optional(),
  // 0: any free port (tests read the one chosen from the listener).
  METRICS_PORT: intFromEnv(0, 65535).optional(),
  METRICS_ON_MAIN_PORT: boolFromEnv.optional(),
  DATA_DIR: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  // Redis topology: one address (TLS with rediss://) or Sentinel; see config/redis-config.ts.
  // Empty counts as unset, so a compose override can switch an env file's REDIS_URL to Sentinel.
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .or(z.literal(''))
    .optional(),
  REDIS_TLS_CA: z.string().min(1).optional(),
  REDIS_SENTINELS: z.string().min(1).optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  REDIS_KEY_PREFIX: z.string().min(1).optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  SMTP_INSECURE: boolFromEnv.optional(),
  MAIL_FROM: z.string().min(3).optional(),
  APP_URL: z.url({ message: 'must be an absolute URL' }).optional(),
  AUTH_SECRET: z.string().optional(),
  AUTH_SECRET_PREVIOUS: z.string().optional(),
  MIGRATE_ON_START: boolFromEnv.optional(),
  TRUST_PROXY: z.string().optional(),
  PASSWORD_HASH: z.enum(['bcrypt', 'argon2id']).optional(),
  BCRYPT_COST: intFromEnv(4, 15).optional(),
  HASH_CONCURRENCY: intFromEnv(1, 64).optional(),
  HASH_QUEUE_LIMIT: intFromEnv(1, 100000).optional(),
  HASH_THREAD_NICE: intFromEnv(0, 19).optional(),
  GRAPHQL_MAX_IN_FLIGHT: intFromEnv(1, 100000).optional(),
  SIGNUP_MODE: z.enum(['verify-first', 'immediate']).optional(),
  CORS_ORIGINS: z.string().optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  ACCESS_TOKEN_TTL_SECONDS: intFromEnv(1, 86400).optional(),
  STEP_UP_MAX_AGE_SECONDS: intFromEnv(30, 86400).optional(),
  // Account integrity (issue 17): absolute and idle session lifetimes, unverified-account expiry.
  SESSION_MAX_LIFETIME_SECONDS: intFromEnv(60, 31536000).optional(),
  MFA_SESSION_MAX_LIFETIME_SECONDS: intFromEnv(60, 31536000).optional(),
  MFA_SESSION_IDLE_TIMEOUT_SECONDS: intFromEnv(60, 31536000).optional(),
  UNVERIFIED_ACCOUNT_LIFETIME_SECONDS: intFromEnv(60, 31536000).optional(),
  // issue 17b: breached-password check (`off` disables) and the lost-second-factor waiting period.
  PWNED_PASSWORDS_URL: z.union([z.literal('off'), z.string().url()]).optional(),
  MFA_RECOVERY_DELAY_SECONDS: intFromEnv(60, 30 * 86400).optional(),
  ADMIN_REQUIRE_MFA: boolFromEnv.optional(),
  API_KEY_RATE_LIMIT_PER_MINUTE: intFromEnv(1, 100000).optional(),
  REFRESH_TOKEN_TTL_SECONDS: intFromEnv(60, 31536000).optional(),
  REFRESH_GRACE_SECONDS: intFromEnv(0, 60).optional(),
  SESSION_LIVENESS_CACHE_SECONDS: intFromEnv(1, 3600).optional(),
  SIGNING_KEY_RELOAD_SECONDS: intFromEnv(1, 3600).optional(),
  DATABASE_POOL_MAX: intFromEnv(1, 100).optional(),
  EMAIL_VERIFICATION_TTL_SECONDS: intFromEnv(60, 604800).optional(),
  PASSWORD_RESET_TTL_SECONDS: intFromEnv(60, 86400).optional(),
  MAGIC_LINK_TTL_SECONDS: intFromEnv(60, 86400).optional(),
  MAIL_POLL_INTERVAL_MS: intFromEnv(10, 600000).optional(),
  MAIL_RETRY_BASE_MS: intFromEnv(10, 3600000).optional(),
  MAIL_RETRY_MAX_MS: intFromEnv(10, 86400000).optional(),
  MAIL_SEND_TIMEOUT_MS: intFromEnv(100, 300000).optional(),
  RATE_LIMITS_ENABLED: boolFromEnv.optional(),
  RATE_LIMITS: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  SHUTDOWN_TIMEOUT_SECONDS: intFromEnv(1, 300).optional(),
  SHUTDOWN_DRAIN_SECONDS: intFromEnv(0, 120).optional(),
  TOTP_ISSUER: z.string().min(1).optional(),
  MFA_CHALLENGE_TTL_SECONDS: intFromEnv(1, 3600).optional(),
  CLEANUP_INTERVAL_SECONDS: intFromEnv(0, 86400).optional(),
  SESSION_RETENTION_DAYS: intFromEnv(0, 3650).optional(),
  TOKEN_RETENTION_DAYS: intFromEnv(0, 3650).optional(),
  FAILED_MAIL_RETENTION_DAYS: intFromEnv(0, 3650).optional(),
  WEBAUTHN_RP_ID: z.string().min(1).optional(),
  WEBAUTHN_RP_NAME: z.string().min(1).max(100).optional(),
  WEBAUTHN_ORIGINS: z.string().min(1).optional(),
  // Social sign-in (issue 20): the providers, and where a sign-in may return to besides CORS_ORIGINS.
  OAUTH_PROVIDERS_FILE: z.string().min(1).optional(),
  OAUTH_PROVIDERS: z.string().min(1).optional(),
  OAUTH_REDIRECT_ALLOWLIST: z.string().optional(),
  // Webhooks (issue 22): delivery to private/loopback addresses only where this says so (tests).
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: boolFromEnv.optional(),
  // 0: never on a timer (tests drive `tick(now)` with a clock of their own).
  WEBHOOK_POLL_INTERVAL_MS: intFromEnv(0, 600000).optional(),
  WEBHOOK_RETRY_BASE_MS: intFromEnv(10, 3600000).optional(),
  WEBHOOK_RETENTION_DAYS: intFromEnv(0, 3650).optional(),
  // How long a replica's claim on a delivery holds (a killed replica's deliveries wait this long).
  WEBHOOK_LEASE_MS: intFromEnv(1000, 3600000).optional(),
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const dataDir = resolve(e.DATA_DIR ?? './data');
  const databaseUrl = e.DATABASE_URL ?? `sqlite:${join(dataDir, 'plinto.sqlite')}`;
  const parsedDatabase = parseDatabaseUrl(databaseUrl);
  const database =
    parsedDatabase?.kind === 'postgresql'
      ? { ...parsedDatabase, poolMax: e.DATABASE_POOL_MAX ?? 10 }
      : parsedDatabase;
  if (!database) problems.push('DATABASE_URL: must be postgres://… or sqlite:PATH');
  const redis = parseRedisConfig(e, problems);
  const authSecretBytes = e.AUTH_SECRET ? Buffer.byteLength(e.AUTH_SECRET, 'utf8') : 0;

  if (production) {
    if (!database || database.kind !== 'postgresql')
      problems.push('DATABASE_URL: production needs PostgreSQL (postgres://…)');
    if (!e.REDIS_URL && !e.REDIS_SENTINELS)
      problems.push('REDIS_URL: required in production (rate limits shared by every replica)');
    if (!e.SMTP_URL) problems.push('SMTP_URL: required in production (verification and reset mails)');
    if (!e.APP_URL) problems.push('APP_URL: required in production (issuer and email links)');
    if (authSecretBytes < 32) problems.push('AUTH_SECRET: required in production, at least 32 bytes');
    if (e.BCRYPT_COST !== undefined && e.BCRYPT_COST < 10)
      problems.push('BCRYPT_COST: below 10 is for tests only, never production');
    // Fail closed: a value copied from a template, or a guessable one, is no secret.
    if (e.AUTH_SECRET && authSecretBytes >= 32) checkProductionSecret('AUTH_SECRET', e.AUTH_SECRET, problems);
    checkUrlPassword('DATABASE_URL', e.DATABASE_URL, problems);
    checkUrlPassword('REDIS_URL', e.REDIS_URL, problems);
    checkUrlPassword('SMTP_URL', e.SMTP_URL, problems);
  } else {
    if (e.AUTH_SECRET !== undefined && authSecretBytes < 32) problems.push('AUTH_SECRET: at least 32 bytes');
    // PostgreSQL outside production looks like a real deployment with NODE_ENV forgotten: the
    // console transport would print live sign-in and reset links into its logs. The test suite
    // (NODE_ENV=test) and the embedded SQLite default keep it.
    if (database?.kind === 'postgresql' && !e.SMTP_URL && e.NODE_ENV !== 'test') {
      problems.push(
        'SMTP_URL: required with a PostgreSQL DATABASE_URL (the console transport is for the embedded SQLite default and tests)',
      );
    }
  }
  // The secret being rotated away from: sealed values still open with it until `npm run reseal`.
  if (e.AUTH_SECRET_PREVIOUS !== undefined) {
    if (Buffer.byteLength(e.AUTH_SECRET_PREVIOUS, 'utf8') < 32)
      problems.push('AUTH_SECRET_PREVIOUS: at least 32 bytes (the old AUTH_SECRET, while re-sealing)');
    else if (e.AUTH_SECRET_PREVIOUS === e.AUTH_SECRET)
      problems.push(
        'AUTH_SECRET_PREVIOUS: must differ from AUTH_SECRET (it is the secret being rotated away from)',
      );
    else if (!e.AUTH_SECRET)
      problems.push('AUTH_SECRET_PREVIOUS: needs AUTH_SECRET (the new secret) as well');
  }
  checkTrustProxy(e.TRUST_PROXY, problems);
  const rateLimitOverrides = parseRateLimits(e.RATE_LIMITS, problems);
  const corsOrigins = parseCorsOrigins(e.CORS_ORIGINS, problems);
  const oauthProviders = loadOAuthProviders(e.OAUTH_PROVIDERS_FILE, e.OAUTH_PROVIDERS, production, problems);
  const oauthRedirectAllowlist = parseRedirectAllowlist(e.OAUTH_REDIRECT_ALLOWLIST, problems);
  // Production waits a few seconds for load balancers to see the 503 before it stops accepting.
  const shutdownTimeoutSeconds = e.SHUTDOWN_TIMEOUT_SECONDS ?? 25;
  const shutdownDrainSeconds = e.SHUTDOWN_DRAIN_SECONDS ?? (production ? 5 : 0);
  if (shutdownDrainSeconds >= shutdownTimeoutSeconds) {
    problems.push('SHUTDOWN_DRAIN_SECONDS: must be shorter than SHUTDOWN_TIMEOUT_SECONDS');
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === (e.PORT ?? 4000)) {
    problems.push('METRICS_PORT: must differ from PORT (metrics have their own listener)');
  }
  // Passkeys: the relying party, checked with the rest (production refuses an RP ID the origins cannot use).
  const webauthn = parseWebAuthnConfig(
    e,
    (e.APP_URL ?? `http://localhost:${e.PORT ?? 4000}`).replace(/\/+$/, ''),
    production,
    problems,
  );
  if (problems.length > 0) throw new ConfigError(problems);

  const port = e.PORT ?? 4000;
  // Production: /metrics on its own listener only, unless METRICS_ON_MAIN_PORT says otherwise.
  // Development without METRICS_PORT keeps it on the main port, where `npm start` users look.
  const metricsPort = e.METRICS_PORT ?? (production ? 9464 : null);
  const metricsOnMainPort = e.METRICS_ON_MAIN_PORT ?? metricsPort === null;
  const appUrl = (e.APP_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const embeddedDefault = !production && (database as DatabaseConfig).kind === 'sqlite';
  let authSecret = e.AUTH_SECRET;
  let authSecretSource: Config['authSecretSource'] = 'environment';
  if (!authSecret) {
    authSecret = devSecret(dataDir);
    authSecretSource = 'generated-dev-file';
  }
  if (database?.kind === 'sqlite' && database.path !== ':memory:') {
    mkdirSync(dirname(resolve(database.path)), { recursive: true });
  }

  const config: Config = {
    production,
    embeddedDefault,
    port,
    host: e.HOST ?? '0.0.0.0',
    metricsPort,
    metricsOnMainPort,
    dataDir,
    database: database as DatabaseConfig,
    databaseUrl,
    redis,
    redisKeyPrefix: e.REDIS_KEY_PREFIX ?? 'plinto:',
    smtpUrl: e.SMTP_URL ?? null,
    // Production mail goes over TLS (smtps://, or STARTTLS required on smtp://) unless SMTP_INSECURE=true.
    smtpRequireTls: production && !(e.SMTP_INSECURE ?? false),
    mailFrom: e.MAIL_FROM ?? 'Plinto <no-reply@localhost>',
    appUrl,
    // The __Secure- prefix makes browsers refuse a cookie not set Secure over https (no http
    // page, subdomain or network attacker can plant or overwrite it). Over http:// (local
    // development) browsers would drop a __Secure- cookie, so there it keeps the plain name.
    refreshCookieName: appUrl.startsWith('https://') ? '__Secure-plinto_refresh' : LEGACY_REFRESH_COOKIE,
    authSecret,
    authSecretSource,
    authSecretPrevious: e.AUTH_SECRET_PREVIOUS ?? null,
    // Off in production: replicas starting together would each run the migrations at once.
    migrateOnStart: e.MIGRATE_ON_START ?? !production,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    passwordHash: e.PASSWORD_HASH ?? 'bcrypt',
    bcryptCost: e.BCRYPT_COST ?? 12,
    // One hash per core: more only queues on the CPU and starves the event loop (the `me` p99 under sign-in load).
    hashConcurrency: e.HASH_CONCURRENCY ?? availableParallelism(),
    hashQueueLimit: e.HASH_QUEUE_LIMIT ?? 256,
    // Hashing threads yield the CPU to the event loop (src/security/hash-thread-priority.ts).
    hashThreadNice: e.HASH_THREAD_NICE ?? 10,
    // GraphQL requests executed at once; the rest wait, body read, before execution (src/admission-gate.ts).
    graphqlMaxInFlight: e.GRAPHQL_MAX_IN_FLIGHT ?? 64,
    signupMode: e.SIGNUP_MODE ?? 'verify-first',
    corsOrigins,
    jwtAudience: e.JWT_AUDIENCE ?? 'plinto',
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS ?? 900,
    stepUpMaxAgeSeconds: e.STEP_UP_MAX_AGE_SECONDS ?? 300,
    // NIST 800-63B §7.2 / §4.2.3: a session re-authenticates at least every 30 days (AAL1), and
    // every 12 hours or after 30 idle minutes when it was made with a second factor (AAL2).
    sessionMaxLifetimeSeconds: e.SESSION_MAX_LIFETIME_SECONDS ?? 30 * 86400,
    mfaSessionMaxLifetimeSeconds: e.MFA_SESSION_MAX_LIFETIME_SECONDS ?? 12 * 3600,
    mfaSessionIdleTimeoutSeconds: e.MFA_SESSION_IDLE_TIMEOUT_SECONDS ?? 30 * 60,
    // Never shorter than the verification link: a link still in the mailbox must find its account.
    unverifiedAccountLifetimeSeconds: Math.max(
      e.UNVERIFIED_ACCOUNT_LIFETIME_SECONDS ?? e.EMAIL_VERIFICATION_TTL_SECONDS ?? 24 * 3600,
      e.EMAIL_VERIFICATION_TTL_SECONDS ?? 24 * 3600,
    ),
    pwnedPasswordsUrl:
      e.PWNED_PASSWORDS_URL === 'off'
        ? null
        : (e.PWNED_PASSWORDS_URL ?? (production ? 'https://api.pwnedpasswords.com/range/' : null)),
    mfaRecoveryDelaySeconds: e.MFA_RECOVERY_DELAY_SECONDS ?? 72 * 3600,
    // Administrators are strongly authenticated: a second factor or a passkey in the session's amr.
    adminRequireMfa: e.ADMIN_REQUIRE_MFA ?? true,
    apiKeyRateLimitPerMinute: e.API_KEY_RATE_LIMIT_PER_MINUTE ?? 600,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS ?? 30 * 86400,
    // Long enough for two tabs or a mobile retry, short enough that a copied token is rarely in time.
    refreshGraceSeconds: e.REFRESH_GRACE_SECONDS ?? 2,
    sessionLivenessCacheSeconds: e.SESSION_LIVENESS_CACHE_SECONDS ?? 60,
    signingKeyReloadSeconds: e.SIGNING_KEY_RELOAD_SECONDS ?? 60,
    emailVerificationTtlSeconds: e.EMAIL_VERIFICATION_TTL_SECONDS ?? 24 * 3600,
    passwordResetTtlSeconds: e.PASSWORD_RESET_TTL_SECONDS ?? 30 * 60,
    magicLinkTtlSeconds: e.MAGIC_LINK_TTL_SECONDS ?? 10 * 60,
    mailPollIntervalMs: e.MAIL_POLL_INTERVAL_MS ?? 2000,
    mailRetryBaseMs: e.MAIL_RETRY_BASE_MS ?? 5000,
    mailRetryMaxMs: Math.max(e.MAIL_RETRY_MAX_MS ?? 15 * 60 * 1000, e.MAIL_RETRY_BASE_MS ?? 5000),
    mailSendTimeoutMs: e.MAIL_SEND_TIMEOUT_MS ?? 20000,
    rateLimitsEnabled: e.RATE_LIMITS_ENABLED ?? true,
    rateLimitOverrides,
    logLevel: e.LOG_LEVEL ?? 'info',
    shutdownTimeoutSeconds,
    shutdownDrainSeconds,
    totpIssuer: e.TOTP_ISSUER ?? 'Plinto',
    mfaChallengeTtlSeconds: e.MFA_CHALLENGE_TTL_SECONDS ?? 5 * 60,
    cleanupIntervalSeconds: e.CLEANUP_INTERVAL_SECONDS ?? 3600,
    // Ended sessions stay a month: the audit trail's session ids and support questions
    // ("was I signed in from there?") need recent ones; reuse detection needs none of them.
    sessionRetentionDays: e.SESSION_RETENTION_DAYS ?? 30,
    tokenRetentionDays: e.TOKEN_RETENTION_DAYS ?? 1,
    failedMailRetentionDays: e.FAILED_MAIL_RETENTION_DAYS ?? 7,
    webauthn,
    oauthProviders,
    oauthRedirectAllowlist,
    webhookAllowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS ?? false,
    // Production endpoints are https:// only (development and tests may use http://), unless private
    // networks are allowed on purpose: a receiver on loopback or an internal network speaks plain http.
    webhookRequireHttps: production && !(e.WEBHOOK_ALLOW_PRIVATE_NETWORKS ?? false),
    webhookPollIntervalMs: e.WEBHOOK_POLL_INTERVAL_MS ?? 1000,
    webhookRetryBaseMs: e.WEBHOOK_RETRY_BASE_MS ?? 30_000,
    webhookRetentionDays: e.WEBHOOK_RETENTION_DAYS ?? 14,
    webhookLeaseMs: e.WEBHOOK_LEASE_MS ?? 60_000,
  };
  return Object.freeze(config);
}
