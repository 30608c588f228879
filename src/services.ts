import 'reflect-metadata';
import { Redis } from 'ioredis';
import { MemoryLivenessCache, RedisLivenessCache } from './auth/liveness-cache.js';
import { LoginFailureCounter } from './auth/login-failure-counter.js';
import type { SessionLivenessCache } from './auth/liveness-cache.js';
import { EmailVerificationService } from './auth/email-verification.service.js';
import { MagicLinkService } from './auth/magic-link.service.js';
import { MfaChallengeService } from './auth/mfa-challenge.service.js';
import { OneTimeTokenService } from './auth/one-time-token.service.js';
import { PasswordChangeService } from './auth/password-change.service.js';
import { PasswordResetService } from './auth/password-reset.service.js';
import { SecondFactorService } from './auth/second-factor.service.js';
import { AuditLogService } from './auth/audit-log.service.js';
import { SessionService } from './auth/session.service.js';
import { SignInService } from './auth/sign-in.service.js';
import { SignUpService } from './auth/sign-up.service.js';
import { TokenSignIn } from './auth/token-sign-in.js';
import { TotpEnrollmentService } from './auth/totp-enrollment.service.js';
import { UserService } from './auth/user.service.js';
import type { Config } from './config.js';
import { MailComposer } from './mail/mail-jobs.js';
import { MailOutbox } from './mail/mail-outbox.js';
import { MailSender } from './mail/mail-sender.js';
import type { MailTransport } from './mail/mail-transport.js';
import { ConsoleTransport, SmtpTransport } from './mail/mail-transport.js';
import { AuditEventSink } from './observability/audit.sink.js';
import { databaseCheck, Readiness, redisCheck } from './observability/health.js';
import type { Logger } from './observability/logger.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { MetricsEventSink, SecurityEvents } from './observability/security-events.js';
import { AccessTokenService } from './security/access-tokens.js';
import { KeyedHash, REDIS_EMAIL_KEY_LABEL, SecretBox } from './security/crypto.js';
import { HashQueue } from './security/hash-queue.js';
import { PasswordService } from './security/password.service.js';
import { watchRedisHealth } from './security/rate-limiter.js';
import { SigningKeyStore } from './security/signing-keys.js';
import { Totp } from './security/totp.js';
import { ExpiredRowSweeper } from './storage/expired-row-sweeper.js';
import type { Orm } from './storage/orm.js';
import { migrate, openOrm } from './storage/orm.js';

export interface AppOptions {
  /** Apply pending migrations at start (the development mode does; production runs `npm run migrate`). */
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
  passwords: PasswordService;
  sessions: SessionService;
  signUp: SignUpService;
  signIn: SignInService;
  users: UserService;
  mfaChallenges: MfaChallengeService;
  totpEnrollment: TotpEnrollmentService;
  loginFailures: LoginFailureCounter;
  oneTimeTokens: OneTimeTokenService;
  mailOutbox: MailOutbox;
  mailSender: MailSender;
  expiredRowSweeper: ExpiredRowSweeper;
  tokenSignIn: TokenSignIn;
  emailVerification: EmailVerificationService;
  magicLinks: MagicLinkService;
  passwordReset: PasswordResetService;
  passwordChange: PasswordChangeService;
  auditLog: AuditLogService;
  readiness: Readiness;
  /** Stops the Redis health watch (before the deliberate disconnect at shutdown). */
  stopRedisWatch: () => void;
}

function createRedis(config: Config, logger: Logger): Redis | null {
  if (!config.redisUrl) return null;
  // No offline queue: with Redis down a command fails at once instead of waiting, so no
  // request ever hangs on a dead Redis; the callers fall back (database, insurance limiter).
  const redis = new Redis(config.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  redis.on('error', (error: Error) => logger.warn({ err: { message: error.message } }, 'redis error'));
  return redis;
}

/** The composition root's first half: every service, built once and handed its dependencies. */
export async function buildServices(config: Config, options: AppOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = new Metrics();
  const events = new SecurityEvents([new MetricsEventSink(metrics)], logger, metrics);
  const orm = await openOrm(config.database);
  if (options.migrate ?? !config.production) await migrate(orm);
  events.addSink(new AuditEventSink(orm));
  const redis = createRedis(config, logger);
  const stopRedisWatch = redis ? watchRedisHealth(redis, metrics, logger) : () => undefined;
  const readiness = new Readiness([databaseCheck(orm), ...(redis ? [redisCheck(redis)] : [])]);

  const box = new SecretBox(config.authSecret);
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
    ? new RedisLivenessCache(redis, config.redisKeyPrefix)
    : new MemoryLivenessCache();
  const hashQueue = new HashQueue(config.hashConcurrency, config.hashQueueLimit);
  metrics.observeHashQueue(hashQueue);
  const passwords = new PasswordService(
    { scheme: config.passwordHash, bcryptCost: config.bcryptCost },
    hashQueue,
    metrics,
  );
  const sessions = new SessionService(accessTokens, liveness, box, events, {
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    refreshGraceSeconds: config.refreshGraceSeconds,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    livenessCacheSeconds: config.sessionLivenessCacheSeconds,
  });
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
    new MailComposer(oneTimeTokens, config.appUrl),
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
  const expiredRowSweeper = new ExpiredRowSweeper(() => orm.em.fork(), metrics, logger, {
    intervalSeconds: config.cleanupIntervalSeconds,
    sessionRetentionDays: config.sessionRetentionDays,
    tokenRetentionDays: config.tokenRetentionDays,
    failedMailRetentionDays: config.failedMailRetentionDays,
    batchSize: 1000,
  });
  const signUp = new SignUpService(passwords, sessions, events, config.signupMode, mailOutbox);
  const totp = new Totp(config.totpIssuer);
  const secondFactor = new SecondFactorService(box, totp, events);
  const mfaChallenges = new MfaChallengeService(
    sessions,
    secondFactor,
    events,
    config.mfaChallengeTtlSeconds,
  );
  const totpEnrollment = new TotpEnrollmentService(box, totp, secondFactor, events);
  const loginFailures = new LoginFailureCounter(redis, config.redisKeyPrefix, metrics, logger, emailHash);
  const signIn = new SignInService(
    passwords,
    sessions,
    events,
    loginFailures,
    mfaChallenges,
    config.signupMode === 'verify-first',
  );
  const users = new UserService();
  // An emailed link is one factor: users with TOTP get a challenge from it, never a session.
  const tokenSignIn = new TokenSignIn(sessions, {
    challenge: (em, user, amr) => mfaChallenges.create(em, user, amr),
  });
  const emailVerification = new EmailVerificationService(oneTimeTokens, mailOutbox, tokenSignIn, events);
  const magicLinks = new MagicLinkService(oneTimeTokens, mailOutbox, tokenSignIn, events);
  // A reset proves the mailbox: it clears the sign-in failure counter, so a lockout never outlives it.
  const passwordReset = new PasswordResetService(passwords, sessions, oneTimeTokens, mailOutbox, events, {
    onPasswordReset: (email) => loginFailures.clear(email),
  });
  const passwordChange = new PasswordChangeService(passwords, sessions, oneTimeTokens, mailOutbox, events);
  const auditLog = new AuditLogService();
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
    passwords,
    sessions,
    signUp,
    signIn,
    users,
    mfaChallenges,
    totpEnrollment,
    loginFailures,
    oneTimeTokens,
    mailOutbox,
    mailSender,
    expiredRowSweeper,
    tokenSignIn,
    emailVerification,
    magicLinks,
    passwordReset,
    passwordChange,
    auditLog,
    readiness,
    stopRedisWatch,
  };
  return services;
}
