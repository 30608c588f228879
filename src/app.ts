import 'reflect-metadata';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cookieParser from 'cookie-parser';
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ContainerType } from 'type-graphql';
import type { ClientInfo } from './auth/client-info.js';
import { DEVICE_COOKIE_MAX_AGE_SECONDS, DEVICE_COOKIE_NAME } from './auth/failure-client.js';
import { buildPlintoSchema } from './build-schema.js';
import type { ResolverClass } from './build-schema.js';
import type { Config } from './config.js';
import type { ApiKeyPrincipal, AuthState, Context } from './context.js';
import { RequestContext } from './context.js';
import { API_KEY_PREFIX } from './auth/admin/api-key.service.js';
import { RateLimitedError } from './errors.js';
import { errorLoggingPlugin, formatError } from './format-error.js';
import { AdmissionGate } from './admission-gate.js';
import { boundPipelining } from './pipelining.js';
import { listenOn, stopAccepting } from './http-server.js';
import { graphqlMetricsPlugin } from './observability/graphql-metrics.plugin.js';
import { probeRoutes } from './observability/health.js';
import { metricsApp, metricsHandler } from './observability/metrics.routes.js';
import { requestTracking } from './observability/request-tracking.js';
import { MfaResolver } from './resolvers/mfa.resolver.js';
import { EmailLinkResolver } from './resolvers/email-link.resolver.js';
import { PasswordResolver } from './resolvers/password.resolver.js';
import { AuditLogResolver } from './resolvers/audit-log.resolver.js';
import { PasskeyResolver } from './resolvers/passkey.resolver.js';
import { WebhookResolver } from './resolvers/webhook.resolver.js';
import { SessionResolver } from './resolvers/session.resolver.js';
import { SignInResolver } from './resolvers/sign-in.resolver.js';
import { SignUpResolver } from './resolvers/sign-up.resolver.js';
import { UserResolver } from './resolvers/user.resolver.js';
import { StepUpResolver } from './resolvers/step-up.resolver.js';
import { SocialResolver } from './resolvers/social.resolver.js';
import { socialCallbackRoutes } from './pages/social-callback.routes.js';
import { AdminResolver } from './resolvers/admin.resolver.js';
import { SelfServiceResolver } from './resolvers/self-service.resolver.js';
import { EmailChangeResolver } from './resolvers/email-change.resolver.js';
import { graphqlLimits } from './security/graphql-limits.js';
import { cors, noStore, securityHeaders } from './security/headers.js';
import { resolveRateLimits } from './security/rate-limit-rules.js';
import { applyRateLimits, retryAfterPlugin } from './security/rate-limiter.js';
import { DEFAULT_PAGE_ASSETS_DIR, pageRoutes } from './pages/pages.routes.js';
import { buildServices } from './services.js';
import type { AppOptions, Services } from './services.js';
import { closeRedisClient } from './storage/redis-client.js';

export type { AppOptions, Services } from './services.js';

export interface PlintoApp {
  config: Config;
  services: Services;
  express: express.Express;
  server: Server;
  /** The separate metrics listener when METRICS_PORT is set (production: always, 9464 by default). */
  metricsServer: Server | null;
  listen(port?: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Synchronous middlewares run in order inside one router layer (an error or a response that ends
 * the chain stops it, as in the router). Fewer layers, less per-request work in the router.
 */
export function inOneLayer(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let index = 0;
    const step = (error?: unknown): void => {
      if (error !== undefined || index === handlers.length) {
        next(error);
        return;
      }
      const handler = handlers[index++]!;
      try {
        void handler(req, res, step);
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}

const API_KEY_BEARER = `Bearer ${API_KEY_PREFIX}`;

/**
 * The client of one HTTP request. Each field is read from the request when first used, not built
 * up front: a warm `me` uses none of them, and the client IP alone (proxy-addr under TRUST_PROXY)
 * and four closures per request were measurable (issue 24, profile). `gone` and `rememberDevice`
 * are handed out as functions, so they are made (once) when read.
 */
export class HttpClientInfo implements ClientInfo {
  private ipValue: string | null | undefined;
  private userAgentValue: string | null | undefined;

  constructor(
    private readonly req: Request,
    private readonly res: Response,
    private readonly secureCookie: boolean,
  ) {
    // The peer address is read now: node keeps it once read, so `ip` still answers after the client
    // has gone (a destroyed socket no longer knows its peer). Cheap: once per connection.
    void req.socket.remoteAddress;
  }

  get ip(): string | null {
    if (this.ipValue === undefined) this.ipValue = this.req.ip ?? null;
    return this.ipValue;
  }

  get userAgent(): string | null {
    if (this.userAgentValue === undefined) this.userAgentValue = this.req.get('user-agent') ?? null;
    return this.userAgentValue;
  }

  get gone(): () => boolean {
    const socket = this.req.socket;
    const gone = () => socket.destroyed;
    Object.defineProperty(this, 'gone', { value: gone });
    return gone;
  }

  get device(): string | null {
    return (this.req.cookies as Record<string, string | undefined> | undefined)?.[DEVICE_COOKIE_NAME] ?? null;
  }

  get rememberDevice(): (cookie: string) => void {
    const res = this.res;
    const secure = this.secureCookie;
    const remember = (cookie: string) => {
      res.cookie(DEVICE_COOKIE_NAME, cookie, {
        httpOnly: true,
        secure,
        sameSite: 'lax',
        path: '/graphql',
        maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS * 1000,
      });
    };
    Object.defineProperty(this, 'rememberDevice', { value: remember });
    return remember;
  }
}

/** The composition root: the services (services.ts), then the GraphQL schema and the HTTP host. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<PlintoApp> {
  const services = await buildServices(config, options);
  const {
    logger,
    metrics,
    orm,
    redis,
    readiness,
    stopRedisWatch,
    signingKeys,
    accessTokens,
    sessions,
    mailSender,
    expiredRowSweeper,
    liveSessionsGauge,
    signUp,
    signIn,
    users,
    totpEnrollment,
    mfaChallenges,
    emailVerification,
    magicLinks,
    passwordReset,
    passwordChange,
    auditLog,
    stepUp,
    reauthentication,
    social,
  } = services;

  const resolvers = new Map<ResolverClass, unknown>([
    [SignUpResolver, new SignUpResolver(signUp)],
    [SignInResolver, new SignInResolver(signIn)],
    [SessionResolver, new SessionResolver(sessions, stepUp)],
    [UserResolver, new UserResolver(users)],
    [MfaResolver, new MfaResolver(totpEnrollment, mfaChallenges, stepUp, services.mfaRecovery)],
    [EmailLinkResolver, new EmailLinkResolver(emailVerification, magicLinks)],
    [PasswordResolver, new PasswordResolver(passwordReset, passwordChange)],
    [AuditLogResolver, new AuditLogResolver(auditLog)],
    [StepUpResolver, new StepUpResolver(reauthentication)],
    [PasskeyResolver, new PasskeyResolver(services.passkeys, services.passkeySignIn)],
    [SocialResolver, new SocialResolver(social, config.stepUpMaxAgeSeconds)],
    [
      AdminResolver,
      new AdminResolver(
        services.admin,
        services.apiKeys,
        sessions,
        services.stepUp,
        services.passkeys,
        social,
      ),
    ],
    [
      SelfServiceResolver,
      new SelfServiceResolver(
        services.admin,
        sessions,
        services.mailOutbox,
        services.events,
        services.stepUp,
        services.webhooks,
      ),
    ],
    [EmailChangeResolver, new EmailChangeResolver(services.emailChange, services.stepUp)],
    [WebhookResolver, new WebhookResolver(services.webhookEndpoints)],
  ]);
  const container: ContainerType = {
    get: (someClass) => {
      const instance = resolvers.get(someClass as ResolverClass);
      if (!instance) throw new Error(`resolver ${(someClass as ResolverClass).name} is not wired in app.ts`);
      return instance;
    },
  };
  const annotated = await buildPlintoSchema(container, resolveRateLimits(config.rateLimitOverrides), {
    adminRequireMfa: config.adminRequireMfa,
  });
  // RATE_LIMITS_ENABLED=false keeps the directives visible but enforces none (tests, or limits done upstream).
  const schema = config.rateLimitsEnabled
    ? applyRateLimits(annotated, {
        redis,
        keyPrefix: config.redisKeyPrefix,
        metrics,
        refusal: (retryAfterSeconds) => new RateLimitedError(retryAfterSeconds),
        emailHash: services.emailHash,
      })
    : annotated;
  const limits = graphqlLimits({ production: config.production });
  const deviceCookieSecure = config.appUrl.startsWith('https:');

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !config.production,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM: Apollo's own handler would stop GraphQL at once (500s during the drain
    // window, while /ready still tells the load balancer to stop sending). app.close() stops it last.
    stopOnTerminationSignals: false,
    // Mutations only from requests a browser cannot forge cross-site (JSON or a custom header).
    csrfPrevention: true,
    // One operation per HTTP request: a JSON array batch would multiply work behind one request.
    allowBatchedHttpRequests: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [
      // No landing page in production: GET /graphql in a browser shows nothing about the server.
      ...(config.production ? [ApolloServerPluginLandingPageDisabled()] : []),
      // No cache hints: every GraphQL answer is Cache-Control: no-store (noStore below). Apollo's
      // default cache-control plugin would still look up a hint for every resolved field (profile).
      ApolloServerPluginCacheControlDisabled(),
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
  // No ETags: GraphQL answers are POSTs marked no-store, and hashing every body costs CPU per request.
  app.set('etag', false);
  // Only proxies named by TRUST_PROXY may set the client IP through X-Forwarded-For.
  app.set('trust proxy', config.trustProxy);
  // First, so that every response (404s and errors included) carries the headers and is counted
  // and logged. One router layer for the three: each layer costs the router a match and a call on
  // every request (issue 24, profile).
  app.use(inOneLayer(securityHeaders(), requestTracking(logger, metrics), cors(config.corsOrigins)));
  // GraphQL next: the hottest path passes no other layer (the probes, metrics and JWKS routes below
  // have paths of their own, so their order among themselves and after /graphql changes nothing).
  const gate = new AdmissionGate(
    config.graphqlMaxInFlight,
    () => services.hashQueue.inFlight + services.hashQueue.depth,
  );
  services.hashQueue.onEnter = () => queueMicrotask(() => gate.pump());
  app.use(
    '/graphql',
    inOneLayer(noStore, cookieParser()),
    express.json({ limit: '100kb' }),
    // At most GRAPHQL_MAX_IN_FLIGHT GraphQL requests are executed at once; the others wait here
    // in arrival order, holding their parsed body and Node's request and response but no context,
    // Apollo or graphql-js state (issue 24: 2,000 connections). After the body parser, so a client
    // that sends its body slowly holds no slot (it would otherwise stall every request behind it).
    // Requests waiting for a password hash do not count. Other paths never reach it.
    gate.handler,
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        // Forked on first use only: a warm `me` touches no database, and a fork (entity manager,
        // unit of work, identity map) is per-request work it would not need (issue 24, profile).
        let em: Context['em'] | null = null;
        const forked = () => (em ??= orm.em.fork());
        const client = new HttpClientInfo(req, res, deviceCookieSecure);
        const header = req.get('authorization');
        // Awaited only for an API key: a bearer access token (every `me`) skips that promise.
        const apiKey = header?.startsWith(API_KEY_BEARER) ? await authenticateApiKey(header, forked) : null;
        return new RequestContext(forked, {
          apiKey,
          auth: apiKey ? null : await authenticate(header, forked),
          client,
          req,
          res,
          cookieTransport: req.get('x-refresh-token-transport')?.toLowerCase() === 'cookie',
          refreshCookieName: config.refreshCookieName,
        });
      },
    }),
  );

  app.use(probeRoutes(readiness));

  const serveMetrics = metricsHandler(metrics);
  // Production serves the numbers only on METRICS_PORT: on the public port they are an oracle
  // (sign-up and mail counters move differently for registered and new addresses).
  if (config.metricsOnMainPort) app.get('/metrics', serveMetrics);

  app.get('/.well-known/jwks.json', async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300');
    res.json(await signingKeys.jwks());
  });

  // Social sign-in: the providers return here (GET, or POST for form_post providers such as Apple).
  app.use(socialCallbackRoutes(social, () => orm.em.fork(), logger));

  // The hosted pages (sign-in, email links, account): same origin as /graphql, so the refresh cookie works.
  app.use(
    pageRoutes({
      assetsDir: options.pagesAssetsDir ?? DEFAULT_PAGE_ASSETS_DIR,
      redirectOrigins: config.corsOrigins,
      logger,
    }),
  );

  /** `Authorization: Bearer plk_…`: an API key (only its scopes); refused keys are just unauthenticated. */
  async function authenticateApiKey(
    header: string,
    em: () => Context['em'],
  ): Promise<ApiKeyPrincipal | null> {
    const check = await services.apiKeys.authenticate(em(), header.slice('Bearer '.length).trim());
    if (check.kind === 'rate-limited') throw new RateLimitedError(60);
    return check.kind === 'ok' ? check.principal : null;
  }

  async function authenticate(
    header: string | undefined,
    em: () => Context['em'],
  ): Promise<AuthState | null> {
    if (!header?.startsWith('Bearer ')) return null;
    const claims = await accessTokens.verify(header.slice('Bearer '.length).trim());
    if (!claims) return null;
    // A JWT alone would outlive sign-out by up to 15 minutes; this API also asks whether the session is live.
    const { live, profile } = await sessions.check(em, claims.sessionId, claims.userId);
    if (!live) return null;
    return { ...claims, cachedProfile: profile };
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
  // A connection with more than MAX_PIPELINED requests outstanding is closed (src/pipelining.ts).
  // Requests Node would answer by itself (no Host, an unknown Expect) are answered by the wrapper, in turn.
  const listener = boundPipelining(app);
  const server = createServer({ connectionsCheckingInterval: 1_000, requireHostHeader: false }, listener);
  server.on('checkExpectation', listener);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  const metricsServer = config.metricsPort === null ? null : createServer(metricsApp(serveMetrics));

  mailSender.start();
  services.webhookDispatcher.start();
  expiredRowSweeper.start();
  liveSessionsGauge.start();
  await readiness.report();
  readiness.startPeriodic();

  let closing: Promise<void> | null = null;
  const shutdown = async () => {
    readiness.beginDrain();
    // Keep serving while the load balancer notices the 503 and stops routing here.
    if (config.shutdownDrainSeconds > 0) {
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainSeconds * 1000));
    }
    await Promise.all([stopAccepting(server), metricsServer ? stopAccepting(metricsServer) : null]);
    await apollo.stop();
    // Mail still waiting stays in the outbox for the next start (or another instance); an
    // unfinished sweep stops after its current batch and the next run (or replica) goes on.
    liveSessionsGauge.stop();
    readiness.stopPeriodic();
    await Promise.all([mailSender.stop(), services.webhookDispatcher.stop(), expiredRowSweeper.stop()]);
    await orm.close(true);
    stopRedisWatch();
    if (redis) await closeRedisClient(redis);
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
