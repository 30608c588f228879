import { AdminService } from './auth/admin/admin.service.js';
import { ApiKeyService } from './auth/admin/api-key.service.js';
import { EmailChangeService } from './auth/email-change.service.js';
import 'reflect-metadata';
import type { Redis } from 'ioredis';
import { MemoryLivenessCache } from './auth/liveness-cache.js';
import { PrimaryScopedLivenessCache } from './auth/primary-scoped-liveness.js';
import { LoginFailureCounter } from './auth/login-failure-counter.js';
import { DEVICE_COOKIE_KEY_LABEL, DeviceCookies } from './auth/failure-client.js';
import type { SessionLivenessCache } from './auth/liveness-cache.js';
import { EmailVerificationService } from './auth/email-verification.service.js';
import { MagicLinkService } from './auth/magic-link.service.js';
import { MfaChallengeIssuer, MfaChallengeService } from './auth/mfa-challenge.service.js';
import { MfaRecoveryService } from './auth/mfa-recovery.service.js';
import { OneTimeTokenService } from './auth/one-time-token.service.js';
import { StepUpService } from './auth/step-up.js';
import { CredentialChange } from './auth/credential-change.js';
import { ReauthenticationService } from './auth/reauthentication.service.js';
import { PasswordChangeService } from './auth/password-change.service.js';
import { PasswordResetService } from './auth/password-reset.service.js';
import { SecondFactorService } from './auth/second-factor.service.js';
import { AuditLogService } from './auth/audit-log.service.js';
import { SessionService } from './auth/session.service.js';
import { SignInService } from './auth/sign-in.service.js';
import { CompleteSignIn } from './auth/sign-in/complete-sign-in.js';
import { PasswordMethod } from './auth/sign-in/password.method.js';
import { PasskeyMethod } from './auth/sign-in/passkey.method.js';
import { PasskeyChallenges } from './auth/passkey-challenges.js';
import { PasskeyService } from './auth/passkey.service.js';
import { PasskeySignInService } from './auth/passkey-sign-in.service.js';
import { SignUpService } from './auth/sign-up.service.js';
import { TotpEnrollmentService } from './auth/totp-enrollment.service.js';
import { UserService } from './auth/user.service.js';
import { SocialAccounts } from './auth/social/social-accounts.js';
import { SocialProviders } from './auth/social/social-providers.js';
import { SocialSignInService } from './auth/social/social-sign-in.service.js';
import type { Config } from './config.js';
import { MailComposer } from './mail/mail-jobs.js';
import { MailOutbox } from './mail/mail-outbox.js';
import { MailSender } from './mail/mail-sender.js';
import type { MailTransport } from './mail/mail-transport.js';
import { ConsoleTransport, SmtpTransport } from './mail/mail-transport.js';
import { AuditEventSink } from './observability/audit.sink.js';
import { Readiness, readinessChecks } from './observability/health.js';
import { LiveSessionsGauge } from './observability/live-sessions.gauge.js';
import type { Logger } from './observability/logger.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { MetricsEventSink, SecurityEvents } from './observability/security-events.js';
import { AccessTokenService } from './security/access-tokens.js';
import { KeyedHash, REDIS_EMAIL_KEY_LABEL, SecretBox } from './security/crypto.js';
import { HashQueue } from './security/hash-queue.js';
import { PASSWORD_PREHASH_PURPOSE, PasswordService } from './security/password.service.js';
import { BreachedPasswords } from './security/breached-passwords.js';
import { watchRedisHealth } from './security/rate-limiter.js';
import { SigningKeyStore } from './security/signing-keys.js';
import { Totp } from './security/totp.js';
import { ExpiredRowSweeper } from './storage/expired-row-sweeper.js';
import type { Orm } from './storage/orm.js';
import { openDatabase, verifyDatabase, verifyRedis, verifySealedValues } from './startup-checks.js';
import { createRedisClient } from './storage/redis-client.js';
import { onUserRowChange } from './storage/user-rows.js';
import { ADMIN_ROLE, roleLikePattern } from './auth/roles.js';
import { User } from './storage/entities/index.js';
import { WEBHOOK_DEFAULTS, WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { WebhookEndpointsService } from './webhooks/webhook-endpoints.service.js';
import { WebhookOutbox } from './webhooks/webhook-outbox.js';

export interface AppOptions {
  /** Apply pending migrations at start (default MIGRATE_ON_START: development yes, production no). */
  migrate?: boolean;
  logger?: Logger;
  /** Replaces the transport chosen from SMTP_URL (console when absent). */
  mailTransport?: MailTransport;
  /** Where the built page scripts and styles are (default: the output of `npm run build`). */
  pagesAssetsDir?: string;
}

export interface Services {
  orm: Orm;
  redis: Redis | null;
  metrics: Metrics;
  events: SecurityEvents;
  logger: Logger;
  box: SecretBox;
  /** Hashes emails into Redis keys (rate limits, failure counters) under a key derived from AUTH_SECRET. */
  emailHash: KeyedHash;
  signingKeys: SigningKeyStore;
  accessTokens: AccessTokenService;
  /** Bounds password hashing (HASH_CONCURRENCY running, HASH_QUEUE_LIMIT waiting). */
  hashQueue: HashQueue;
  passwords: PasswordService;
  sessions: SessionService;
  signUp: SignUpService;
  signIn: SignInService;
  users: UserService;
  mfaChallenges: MfaChallengeService;
  /** Every TOTP/recovery-code check, with the per-user failure cap (verify, primaryProven, isLocked). */
  secondFactor: SecondFactorService;
  /** Lost second factor: emailed link, waiting period, cancel, removal at the next sign-in. */
  mfaRecovery: MfaRecoveryService;
  totpEnrollment: TotpEnrollmentService;
  loginFailures: LoginFailureCounter;
  oneTimeTokens: OneTimeTokenService;
  mailOutbox: MailOutbox;
  mailSender: MailSender;
  expiredRowSweeper: ExpiredRowSweeper;
  /** The one completion step every sign-in method goes through (docs/ARCHITECTURE.md). */
  signInCompletion: CompleteSignIn;
  emailVerification: EmailVerificationService;
  magicLinks: MagicLinkService;
  passwordReset: PasswordResetService;
  passwordChange: PasswordChangeService;
  /** Step-up ("sudo mode"): is the session's last primary authentication recent enough? */
  stepUp: StepUpService;
  /** `reauthenticate`: a password or code refreshes the session's authentication time (step-up). */
  reauthentication: ReauthenticationService;
  auditLog: AuditLogService;
  /** Passkeys (WebAuthn): registration and management, and the options of a passkey sign-in. */
  passkeys: PasskeyService;
  /** `finishPasskeySignIn`: the passkey method through the completion step. */
  passkeySignIn: PasskeySignInService;
  /** Administration (issue 21): the admin API and API keys. */
  admin: AdminService;
  apiKeys: ApiKeyService;
  /** changeEmail with its confirmation and undo links (issue 21). */
  emailChange: EmailChangeService;
  readiness: Readiness;
  liveSessionsGauge: LiveSessionsGauge;
  /** Social sign-in (issue 20): providers, the web and native flows, identities. */
  social: SocialSignInService;
  /** Stops the Redis health watch (before the deliberate disconnect at shutdown). */
  stopRedisWatch: () => void;
  /** Webhooks (issue 22): flows call `webhooks.emit(em, event)` inside the change's transaction. */
  webhooks: WebhookOutbox;
  webhookDispatcher: WebhookDispatcher;
  webhookEndpoints: WebhookEndpointsService;
}

/** The composition root's first half: every service, built once and handed its dependencies. */
export async function buildServices(config: Config, options: AppOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = new Metrics();
  const events = new SecurityEvents([new MetricsEventSink(metrics)], logger, metrics);
  const orm = await openDatabase(config);
  const box = new SecretBox(config.authSecret, config.authSecretPrevious);
  // Refusals before anything serves: each names what is wrong and what to do (startup-checks.ts).
  try {
    await verifyDatabase(orm, config, options.migrate ?? config.migrateOnStart, logger);
    await verifySealedValues(orm, box, logger);
  } catch (error) {
    await orm.close(true).catch(() => undefined);
    throw error;
  }
  events.addSink(new AuditEventSink(orm));
  const redis = createRedisClient(config.redis, logger);
  if (redis && config.production) {
    await verifyRedis(redis, config.redis!).catch(async (error: unknown) => {
      await orm.close(true).catch(() => undefined);
      throw error;
    });
  }
  const stopRedisWatch = redis ? watchRedisHealth(redis, metrics, logger) : () => undefined;
  // Named checks; each failing one is a reason in /ready's JSON and in plinto_not_ready{reason}.
  const readiness = new Readiness(readinessChecks(orm, box));
  metrics.observeReadiness(readiness);

  const emailHash = new KeyedHash(config.authSecret, REDIS_EMAIL_KEY_LABEL);
  const signingKeys = new SigningKeyStore(
    () => orm.em.fork(),
    box,
    config.accessTokenTtlSeconds,
    config.signingKeyReloadSeconds * 1000,
  );
  await signingKeys.init();
  const accessTokens = new AccessTokenService(
    signingKeys,
    config.appUrl,
    config.jwtAudience,
    config.accessTokenTtlSeconds,
  );
  const liveness: SessionLivenessCache = redis
    ? new PrimaryScopedLivenessCache(redis, config.redisKeyPrefix, logger)
    : new MemoryLivenessCache();
  const hashQueue = new HashQueue(config.hashConcurrency, config.hashQueueLimit);
  metrics.observeHashQueue(hashQueue);
  const passwords = new PasswordService(
    {
      scheme: config.passwordHash,
      bcryptCost: config.bcryptCost,
      // Passwords over 72 bytes under bcrypt: pre-hashed with a pepper derived from AUTH_SECRET.
      prehashKeys: box.macKeys(PASSWORD_PREHASH_PURPOSE),
    },
    hashQueue,
    metrics,
    config.pwnedPasswordsUrl ? new BreachedPasswords(config.pwnedPasswordsUrl, metrics, logger) : null,
  );
  // Flows emit webhook events in their own transactions (src/webhooks/webhook-outbox.ts).
  const webhooks = new WebhookOutbox(box);
  const sessions = new SessionService(
    accessTokens,
    liveness,
    box,
    events,
    {
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      refreshGraceSeconds: config.refreshGraceSeconds,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      livenessCacheSeconds: config.sessionLivenessCacheSeconds,
      sessionMaxLifetimeSeconds: config.sessionMaxLifetimeSeconds,
      mfaSessionMaxLifetimeSeconds: config.mfaSessionMaxLifetimeSeconds,
      mfaSessionIdleTimeoutSeconds: config.mfaSessionIdleTimeoutSeconds,
    },
    webhooks,
  );
  const mailOutbox = new MailOutbox(box);
  const oneTimeTokens = new OneTimeTokenService(config);
  const mailTransport: MailTransport =
    options.mailTransport ??
    (config.smtpUrl
      ? new SmtpTransport(config.smtpUrl, config.mailFrom, config.mailSendTimeoutMs, config.smtpRequireTls)
      : new ConsoleTransport(logger));
  const mailSender = new MailSender(
    () => orm.em.fork(),
    mailOutbox,
    new MailComposer(oneTimeTokens, config.appUrl, config.mfaRecoveryDelaySeconds),
    mailTransport,
    metrics,
    logger,
    {
      pollIntervalMs: config.mailPollIntervalMs,
      retryBaseMs: config.mailRetryBaseMs,
      retryMaxMs: config.mailRetryMaxMs,
      // Longer than one attempt can take (connect + greeting + data), so a live claim is never taken over.
      leaseMs: config.mailSendTimeoutMs * 4 + 30_000,
      batchSize: 20,
    },
  );
  const webhookPolicy = {
    allowPrivateNetworks: config.webhookAllowPrivateNetworks,
    requireHttps: config.webhookRequireHttps,
  };
  const webhookDispatcher = new WebhookDispatcher(() => orm.em.fork(), webhooks, box, metrics, logger, {
    pollIntervalMs: config.webhookPollIntervalMs,
    // 10 s, and never longer than half the lease: a live claim is never taken over (tests shorten the lease).
    timeoutMs: Math.min(10_000, Math.floor(config.webhookLeaseMs / 2)),
    retryBaseMs: config.webhookRetryBaseMs,
    retryMaxMs: Math.max(6 * 3600 * 1000, config.webhookRetryBaseMs),
    ...WEBHOOK_DEFAULTS,
    // Default six times one attempt's budget: a live claim is never taken over, a dead one frees in a minute.
    leaseMs: config.webhookLeaseMs,
    // A batch is claimed in three statements and its successes recorded in one; 32 POSTs in flight.
    batchSize: 200,
    concurrency: 32,
    policy: webhookPolicy,
  });
  const webhookEndpoints = new WebhookEndpointsService(box, webhooks, webhookPolicy);
  // An endpoint disabled after 3 days of failures: every admin is mailed (in the disabling transaction).
  webhookDispatcher.onEndpointDisabled(async (tx, endpoint, at) => {
    const admins = await tx.find(User, { roles: { $like: roleLikePattern(ADMIN_ROLE) } } as never, {
      fields: ['id'],
      disableIdentityMap: true,
    });
    for (const admin of admins) {
      await mailOutbox.enqueue(tx, {
        kind: 'webhook-endpoint-disabled',
        userId: admin.id,
        endpointId: endpoint.id,
        url: endpoint.url,
        at: at.toISOString(),
      });
    }
  });
  const expiredRowSweeper = new ExpiredRowSweeper(() => orm.em.fork(), metrics, logger, {
    intervalSeconds: config.cleanupIntervalSeconds,
    sessionRetentionDays: config.sessionRetentionDays,
    tokenRetentionDays: config.tokenRetentionDays,
    failedMailRetentionDays: config.failedMailRetentionDays,
    unverifiedAccountLifetimeSeconds:
      config.signupMode === 'verify-first' ? config.unverifiedAccountLifetimeSeconds : null,
    webhookRetentionDays: config.webhookRetentionDays,
    batchSize: 1000,
  });
  const totp = new Totp(config.totpIssuer);
  const secondFactor = new SecondFactorService(box, totp, events);
  const totpEnrollment = new TotpEnrollmentService(box, totp, secondFactor, events, mailOutbox, webhooks);
  const loginFailures = new LoginFailureCounter(redis, config.redisKeyPrefix, metrics, logger, emailHash, {
    // Lockout the attacker cannot aim: delays per (account, device cookie or network).
    devices: new DeviceCookies(new KeyedHash(config.authSecret, DEVICE_COOKIE_KEY_LABEL)),
  });
  // Issue 24: `me` from the cache, next to the liveness entries (same namespace, same round trip).
  // Every committed write of a users row drops the cached profile (src/storage/user-rows.ts).
  const users = new UserService(liveness, config.sessionLivenessCacheSeconds);
  onUserRowChange(orm.em, (userId) => users.invalidate(userId));
  const mfaRecovery = new MfaRecoveryService(oneTimeTokens, mailOutbox, config.mfaRecoveryDelaySeconds);
  const signInCompletion = new CompleteSignIn(
    sessions,
    new MfaChallengeIssuer(config.mfaChallengeTtlSeconds, secondFactor),
    events,
    { requireVerifiedEmail: config.signupMode === 'verify-first' },
    mfaRecovery,
  );
  const signUp = new SignUpService(
    passwords,
    signInCompletion,
    events,
    config.signupMode,
    mailOutbox,
    webhooks,
  );
  const signIn = new SignInService(
    // A device cookie only for an account the completion step would admit (CompleteSignIn.admits).
    new PasswordMethod(passwords, loginFailures, webhooks, (user) => signInCompletion.admits(user)),
    signInCompletion,
  );
  const mfaChallenges = new MfaChallengeService(secondFactor, signInCompletion);
  const credentialChange = new CredentialChange(sessions, webhooks);
  const emailVerification = new EmailVerificationService(
    oneTimeTokens,
    mailOutbox,
    signInCompletion,
    credentialChange,
    webhooks,
  );
  const magicLinks = new MagicLinkService(
    oneTimeTokens,
    mailOutbox,
    signInCompletion,
    credentialChange,
    webhooks,
  );
  // A reset proves the mailbox: it clears the sign-in failure counter, so a lockout never outlives it.
  const passwordReset = new PasswordResetService(
    passwords,
    sessions,
    oneTimeTokens,
    mailOutbox,
    events,
    { onPasswordReset: (email) => loginFailures.clear(email) },
    credentialChange,
    webhooks,
  );
  const stepUp = new StepUpService(config.stepUpMaxAgeSeconds);
  const passwordChange = new PasswordChangeService(
    passwords,
    sessions,
    credentialChange,
    mailOutbox,
    events,
    stepUp,
    loginFailures,
    webhooks,
  );
  const reauthentication = new ReauthenticationService(
    new PasswordMethod(passwords, loginFailures),
    secondFactor,
    loginFailures,
    sessions,
    events,
  );
  const auditLog = new AuditLogService();
  // Passkeys (issue 19): challenges bound to an address by a keyed hash; decoy ids under another key.
  const passkeyChallenges = new PasskeyChallenges();
  const passkeyChallengeEmailHash = new KeyedHash(config.authSecret, 'passkey-challenge-email');
  const passkeys = new PasskeyService({
    webauthn: config.webauthn,
    challenges: passkeyChallenges,
    stepUp,
    events,
    outbox: mailOutbox,
    challengeEmailHash: passkeyChallengeEmailHash,
    decoyIds: new KeyedHash(config.authSecret, 'passkey-decoy-id'),
    webhooks,
  });
  const passkeySignIn = new PasskeySignInService(
    new PasskeyMethod(config.webauthn, passkeyChallenges, passkeyChallengeEmailHash),
    signInCompletion,
    events,
  );
  // Social sign-in (issue 20): redirectTo may go to CORS_ORIGINS and OAUTH_REDIRECT_ALLOWLIST's origins or app schemes.
  const social = new SocialSignInService(
    new SocialProviders(config.oauthProviders, config.appUrl, metrics),
    new SocialAccounts(
      sessions,
      mailOutbox,
      events,
      credentialChange,
      config.signupMode === 'verify-first',
      webhooks,
    ),
    signInCompletion,
    stepUp,
    new KeyedHash(config.authSecret, 'oauth-request'),
    metrics,
    logger,
    {
      // The hosted pages (APP_URL's origin) come back to /sign-in and /account themselves.
      origins: [
        new URL(config.appUrl).origin,
        ...config.corsOrigins,
        ...config.oauthRedirectAllowlist.filter((e) => e.includes('//')),
      ],
      schemes: config.oauthRedirectAllowlist.filter((e) => !e.includes('//')),
    },
  );
  const admin = new AdminService(sessions, loginFailures, mailOutbox, events, webhooks);
  const emailChange = new EmailChangeService(oneTimeTokens, sessions, mailOutbox, events, webhooks);
  const apiKeys = new ApiKeyService(admin, redis, config.redisKeyPrefix, config.apiKeyRateLimitPerMinute);
  const liveSessionsGauge = new LiveSessionsGauge(metrics, () => sessions.countLive(orm.em.fork()));
  const services: Services = {
    orm,
    redis,
    metrics,
    events,
    logger,
    box,
    emailHash,
    signingKeys,
    accessTokens,
    hashQueue,
    passwords,
    sessions,
    signUp,
    signIn,
    users,
    mfaChallenges,
    secondFactor,
    mfaRecovery,
    totpEnrollment,
    loginFailures,
    oneTimeTokens,
    mailOutbox,
    mailSender,
    expiredRowSweeper,
    signInCompletion,
    emailVerification,
    magicLinks,
    passwordReset,
    passwordChange,
    stepUp,
    reauthentication,
    auditLog,
    passkeys,
    passkeySignIn,
    admin,
    apiKeys,
    emailChange,
    readiness,
    liveSessionsGauge,
    social,
    stopRedisWatch,
    webhooks,
    webhookDispatcher,
    webhookEndpoints,
  };
  return services;
}
