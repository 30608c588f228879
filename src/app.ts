import 'reflect-metadata';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import cookieParser from 'cookie-parser';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { Redis } from 'ioredis';
import type { ContainerType } from 'type-graphql';
import type { ClientInfo } from './auth/client-info.js';
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
import { buildPlintoSchema } from './build-schema.js';
import type { ResolverClass } from './build-schema.js';
import type { Config } from './config.js';
import type { AuthState, Context } from './context.js';
import { errorLoggingPlugin, formatError } from './format-error.js';
import { MailComposer } from './mail/mail-jobs.js';
import { MailOutbox } from './mail/mail-outbox.js';
import { MailSender } from './mail/mail-sender.js';
import type { MailTransport } from './mail/mail-transport.js';
import { ConsoleTransport, SmtpTransport } from './mail/mail-transport.js';
import { listenOn, stopAccepting } from './http-server.js';
import { AuditEventSink } from './observability/audit.sink.js';
import { graphqlMetricsPlugin } from './observability/graphql-metrics.plugin.js';
import { databaseCheck, probeRoutes, Readiness, redisCheck } from './observability/health.js';
import type { Logger } from './observability/logger.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { metricsApp, metricsHandler } from './observability/metrics.routes.js';
import { requestTracking } from './observability/request-tracking.js';
import { MetricsEventSink, SecurityEvents } from './observability/security-events.js';
import { MfaResolver } from './resolvers/mfa.resolver.js';
import { EmailLinkResolver } from './resolvers/email-link.resolver.js';
import { PasswordResolver } from './resolvers/password.resolver.js';
import { AuditLogResolver } from './resolvers/audit-log.resolver.js';
import { SessionResolver } from './resolvers/session.resolver.js';
import { SignInResolver } from './resolvers/sign-in.resolver.js';
import { SignUpResolver } from './resolvers/sign-up.resolver.js';
import { UserResolver } from './resolvers/user.resolver.js';
import { AccessTokenService } from './security/access-tokens.js';
import { SecretBox } from './security/crypto.js';
import { graphqlLimits } from './security/graphql-limits.js';
import { HashQueue } from './security/hash-queue.js';
import { cors, noStore, securityHeaders } from './security/headers.js';
import { PasswordService } from './security/password.service.js';
import { resolveRateLimits } from './security/rate-limit-rules.js';
import { applyRateLimits, retryAfterPlugin, watchRedisHealth } from './security/rate-limiter.js';
import { SigningKeyStore } from './security/signing-keys.js';
import { Totp } from './security/totp.js';
import type { Orm } from './storage/orm.js';
import { migrate, openOrm } from './storage/orm.js';
import { DEFAULT_PAGE_ASSETS_DIR, pageRoutes } from './pages/pages.routes.js';

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
  tokenSignIn: TokenSignIn;
  emailVerification: EmailVerificationService;
  magicLinks: MagicLinkService;
  passwordReset: PasswordResetService;
  passwordChange: PasswordChangeService;
  auditLog: AuditLogService;
  readiness: Readiness;
}

export interface PlintoApp {
  config: Config;
  services: Services;
  express: express.Express;
  server: Server;
  /** The separate metrics listener when METRICS_PORT is set (then /metrics is not on the main port). */
  metricsServer: Server | null;
  listen(port?: number, host?: string): Promise<number>;
  close(): Promise<void>;
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

/** The composition root: every service is built once, here, and handed its dependencies. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<PlintoApp> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = new Metrics();
  const events = new SecurityEvents([new MetricsEventSink(metrics)], logger);
  const orm = await openOrm(config.database);
  if (options.migrate ?? !config.production) await migrate(orm);
  events.addSink(new AuditEventSink(orm));
  const redis = createRedis(config, logger);
  const stopRedisWatch = redis ? watchRedisHealth(redis, metrics, logger) : () => undefined;
  const readiness = new Readiness([databaseCheck(orm), ...(redis ? [redisCheck(redis)] : [])]);

  const box = new SecretBox(config.authSecret);
  const signingKeys = new SigningKeyStore(() => orm.em.fork(), box, config.accessTokenTtlSeconds);
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
      ? new SmtpTransport(config.smtpUrl, config.mailFrom, config.mailSendTimeoutMs)
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
  const loginFailures = new LoginFailureCounter(redis, config.redisKeyPrefix, metrics, logger);
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
    tokenSignIn,
    emailVerification,
    magicLinks,
    passwordReset,
    passwordChange,
    auditLog,
    readiness,
  };

  const resolvers = new Map<ResolverClass, unknown>([
    [SignUpResolver, new SignUpResolver(signUp)],
    [SignInResolver, new SignInResolver(signIn)],
    [SessionResolver, new SessionResolver(sessions)],
    [UserResolver, new UserResolver(users)],
    [MfaResolver, new MfaResolver(totpEnrollment, mfaChallenges)],
    [EmailLinkResolver, new EmailLinkResolver(emailVerification, magicLinks)],
    [PasswordResolver, new PasswordResolver(passwordReset, passwordChange)],
    [AuditLogResolver, new AuditLogResolver(auditLog)],
  ]);
  const container: ContainerType = {
    get: (someClass) => {
      const instance = resolvers.get(someClass as ResolverClass);
      if (!instance) throw new Error(`resolver ${(someClass as ResolverClass).name} is not wired in app.ts`);
      return instance;
    },
  };
  const annotated = await buildPlintoSchema(container, resolveRateLimits(config.rateLimitOverrides));
  // RATE_LIMITS_ENABLED=false keeps the directives visible but enforces none (tests, or limits done upstream).
  const schema = config.rateLimitsEnabled
    ? applyRateLimits(annotated, { redis, keyPrefix: config.redisKeyPrefix, metrics })
    : annotated;
  const limits = graphqlLimits({ production: config.production });

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !config.production,
    includeStacktraceInErrorResponses: false,
    // Mutations only from requests a browser cannot forge cross-site (JSON or a custom header).
    csrfPrevention: true,
    // One operation per HTTP request: a JSON array batch would multiply work behind one request.
    allowBatchedHttpRequests: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [
      ...limits.plugins,
      retryAfterPlugin(),
      graphqlMetricsPlugin(metrics),
      errorLoggingPlugin(logger),
    ],
    formatError,
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  // Only proxies named by TRUST_PROXY may set the client IP through X-Forwarded-For.
  app.set('trust proxy', config.trustProxy);
  // First, so that every response (404s and errors included) carries the headers and is counted and logged.
  app.use(securityHeaders());
  app.use(requestTracking(logger, metrics));
  app.use(cors(config.corsOrigins));
  app.use(probeRoutes(readiness));

  const serveMetrics = metricsHandler(metrics, async () => {
    metrics.liveSessions.set(await sessions.countLive(orm.em.fork()));
  });
  // With METRICS_PORT the numbers are only on that (internal) port, not on the public one.
  if (config.metricsPort === null) app.get('/metrics', serveMetrics);

  app.get('/.well-known/jwks.json', async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300');
    res.json(await signingKeys.jwks());
  });

  app.use(
    '/graphql',
    noStore,
    cookieParser(),
    express.json({ limit: '100kb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const em = orm.em.fork();
        const client: ClientInfo = {
          ip: req.ip ?? null,
          userAgent: req.get('user-agent') ?? null,
        };
        return {
          em,
          auth: await authenticate(req, em),
          client,
          req,
          res,
          cookieTransport: req.get('x-refresh-token-transport')?.toLowerCase() === 'cookie',
        };
      },
    }),
  );

  // The hosted pages (sign-in, email links, account): same origin as /graphql, so the refresh cookie works.
  app.use(
    pageRoutes({
      assetsDir: options.pagesAssetsDir ?? DEFAULT_PAGE_ASSETS_DIR,
      redirectOrigins: config.corsOrigins,
      logger,
    }),
  );

  async function authenticate(req: Request, em: Context['em']): Promise<AuthState | null> {
    const header = req.get('authorization');
    if (!header?.startsWith('Bearer ')) return null;
    const claims = await accessTokens.verify(header.slice('Bearer '.length).trim());
    if (!claims) return null;
    // A JWT alone would outlive sign-out by up to 15 minutes; this API also asks whether the session is live.
    if (!(await sessions.isLive(em, claims.sessionId, claims.userId))) return null;
    return claims;
  }

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  // Body parser and other errors: a stable code, never a stack or driver text.
  app.use(
    (
      error: Error & { status?: number; type?: string },
      _req: Request,
      res: Response,
      _next: NextFunction,
    ) => {
      const status = error.status ?? 500;
      if (status >= 500) logger.error({ err: error }, 'unhandled error');
      const code =
        status === 413
          ? 'PAYLOAD_TOO_LARGE'
          : status === 400
            ? 'BAD_REQUEST'
            : status < 500
              ? 'BAD_REQUEST'
              : 'INTERNAL_SERVER_ERROR';
      res.status(status).json({
        errors: [
          {
            message: status === 413 ? 'Request body is too large.' : 'The request could not be processed.',
            extensions: { code },
          },
        ],
      });
    },
  );

  // Slow clients (slowloris) are dropped on time: Node checks these timeouts only every
  // connectionsCheckingInterval (30 s by default), which made 10 s headers take up to 40 s.
  const server = createServer({ connectionsCheckingInterval: 1_000 }, app);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  const metricsServer = config.metricsPort === null ? null : createServer(metricsApp(serveMetrics));

  mailSender.start();

  let closing: Promise<void> | null = null;
  const shutdown = async () => {
    readiness.beginDrain();
    // Keep serving while the load balancer notices the 503 and stops routing here.
    if (config.shutdownDrainSeconds > 0) {
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainSeconds * 1000));
    }
    await Promise.all([stopAccepting(server), metricsServer ? stopAccepting(metricsServer) : null]);
    await apollo.stop();
    // Mail still waiting stays in the outbox for the next start (or another instance).
    await mailSender.stop();
    await orm.close(true);
    stopRedisWatch();
    if (redis) await redis.quit().catch(() => redis.disconnect());
  };
  return {
    config,
    services,
    express: app,
    server,
    metricsServer,
    listen: async (port = config.port, host = config.host) => {
      if (metricsServer) await listenOn(metricsServer, config.metricsPort ?? 0, host);
      return listenOn(server, port, host);
    },
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}
