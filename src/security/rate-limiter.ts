import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { rateLimitDirective } from 'graphql-rate-limit-directive';
import type { RateLimitKeyGenerator, RateLimitOnLimit } from 'graphql-rate-limit-directive';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { IRateLimiterRedisOptions, RateLimiterAbstract } from 'rate-limiter-flexible';
import { normaliseEmail } from '../auth/email.js';
import type { Context } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { clientRateLimitKey } from './client-key.js';
import type { KeyedHash } from './crypto.js';
import { ACCOUNT_RATE_LIMIT_DIRECTIVE, CLIENT_RATE_LIMIT_DIRECTIVE } from './rate-limit.directive.js';

export interface RateLimitDeps {
  /** Shared store; null only in the embedded development mode (in-process limits). */
  redis: Redis | null;
  keyPrefix: string;
  metrics: Metrics;
  /** The error a refused call throws (the GraphQL host's RATE_LIMITED error, with retryAfter seconds). */
  refusal: (retryAfterSeconds: number) => Error;
  /** Hashes the account part of a key (an email) under a key derived from AUTH_SECRET. */
  emailHash: KeyedHash;
}

/**
 * A limiter class over the app's Redis client. `rejectIfRedisNotReady` plus the client's disabled
 * offline queue mean a dead Redis fails at once instead of hanging; the in-process insurance
 * limiter with the same rule then answers, so limits never switch off. When the client is ready
 * again, the shared counters are used again without a restart.
 */
function sharedLimiterClass(redis: Redis): typeof RateLimiterAbstract {
  class SharedRateLimiter extends RateLimiterRedis {
    constructor(options: IRateLimiterRedisOptions) {
      super({
        ...options,
        storeClient: redis,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({
          keyPrefix: options.keyPrefix,
          points: options.points,
          duration: options.duration,
        }),
      });
    }
  }
  return SharedRateLimiter as unknown as typeof RateLimiterAbstract;
}

// Never the library's default key (the field name alone: one bucket for the whole world).
const clientKey: RateLimitKeyGenerator<Context> = (_directiveArgs, _source, _args, context, info) =>
  `${info.fieldName}:ip:${clientRateLimitKey(context.client.ip)}`;

/** The account a call targets: the normalised email argument, else the signed-in user, else none. */
function accountTarget(args: Record<string, unknown>, context: Context): string | null {
  const input = args.input as { email?: unknown } | undefined;
  const email = typeof args.email === 'string' ? args.email : input?.email;
  if (typeof email === 'string') return `email:${normaliseEmail(email)}`;
  if (context.auth) return `user:${context.auth.userId}`;
  return null;
}

// Keyed hash: Redis never holds the addresses, nobody without AUTH_SECRET can test candidate
// addresses against the keys, and a key's length does not depend on the input.
const accountKey =
  (emailHash: KeyedHash): RateLimitKeyGenerator<Context> =>
  (_directiveArgs, _source, args, context, info) =>
    `${info.fieldName}:acct:${emailHash.hex(accountTarget(args, context) ?? '')}`;

function onLimit({ metrics, refusal }: RateLimitDeps): RateLimitOnLimit<Context> {
  return (response, _directiveArgs, _source, _args, _context, info: GraphQLResolveInfo) => {
    metrics.rateLimitRejections.inc({ field: info.fieldName });
    throw refusal(Math.max(1, Math.ceil(response.msBeforeNext / 1000)));
  };
}

/**
 * Wraps every field carrying a rate-limit directive (see rate-limit.directive.ts) in a limiter.
 * The wrapper runs per resolver call, so each alias in a document consumes one point. The client
 * limit is checked first: a client already over its limit cannot spend a victim's account budget.
 */
export function applyRateLimits(schema: GraphQLSchema, deps: RateLimitDeps): GraphQLSchema {
  const limiterClass = deps.redis ? sharedLimiterClass(deps.redis) : RateLimiterMemory;
  const perAccount = rateLimitDirective<Context>({
    name: ACCOUNT_RATE_LIMIT_DIRECTIVE,
    keyGenerator: accountKey(deps.emailHash),
    // Nothing to key on (no email, not signed in): only the client limit applies.
    pointsCalculator: (_directiveArgs, _source, args, context) => (accountTarget(args, context) ? 1 : 0),
    onLimit: onLimit(deps),
    limiterClass,
    limiterOptions: { keyPrefix: `${deps.keyPrefix}rl-account` },
  });
  const perClient = rateLimitDirective<Context>({
    name: CLIENT_RATE_LIMIT_DIRECTIVE,
    keyGenerator: clientKey,
    onLimit: onLimit(deps),
    limiterClass,
    limiterOptions: { keyPrefix: `${deps.keyPrefix}rl-client` },
  });
  // The last transformer applied wraps outermost and therefore runs first.
  return perClient.rateLimitDirectiveTransformer(perAccount.rateLimitDirectiveTransformer(schema));
}

/** Sends the largest retryAfter of a RATE_LIMITED error as the HTTP Retry-After header. */
export function retryAfterPlugin(): ApolloServerPlugin<Context> {
  // One listener for every request (no per-request state): no object made per request.
  const listener: GraphQLRequestListener<Context> = {
    async willSendResponse({ response }) {
      if (response.body.kind !== 'single') return;
      const errors = response.body.singleResult.errors;
      if (!errors) return;
      const retryAfter = errors
        .filter((error) => error.extensions?.code === ErrorCode.RATE_LIMITED)
        .map((error) => Number(error.extensions?.retryAfter))
        .filter((seconds) => Number.isFinite(seconds) && seconds > 0);
      if (retryAfter.length > 0) response.http.headers.set('retry-after', String(Math.max(...retryAfter)));
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}

/**
 * Records whether the shared store is reachable: a gauge and one log line per change, so the
 * degraded state (insurance limiter in use, per process only) is visible and so is the recovery.
 */
export function watchRedisHealth(redis: Redis, metrics: Metrics, logger: Logger): () => void {
  let degraded = false;
  const setDegraded = (next: boolean) => {
    if (next === degraded) return;
    degraded = next;
    metrics.redisDegraded.set(next ? 1 : 0);
    if (next) logger.warn('redis unreachable: rate limits fall back to the in-process insurance limiter');
    else logger.info('redis reachable again: rate limits are shared again');
  };
  const onReady = () => setDegraded(false);
  const onClose = () => setDegraded(true);
  const onError = () => setDegraded(redis.status !== 'ready');
  // An ended client is degraded too; createRedisClient connects it again.
  const onEnd = () => setDegraded(true);
  redis.on('ready', onReady);
  redis.on('close', onClose);
  redis.on('error', onError);
  redis.on('end', onEnd);
  // Stopped before a deliberate disconnect at shutdown, which is no outage.
  return () => {
    redis.off('ready', onReady);
    redis.off('close', onClose);
    redis.off('error', onError);
    redis.off('end', onEnd);
  };
}
