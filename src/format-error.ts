import { unwrapResolverError } from '@apollo/server/errors';
import { DriverException } from '@mikro-orm/core';
import type { GraphQLFormattedError } from 'graphql';
import { CLIENT_SAFE_CODES, ErrorCode } from './errors.js';
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { Context } from './context.js';
import type { Logger } from './observability/logger.js';
import { requestContextOf } from './observability/request-context.js';

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
  // connection_exception (class 08) and too_many_connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
]);

function isOutage(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && CONNECTION_ERROR_CODES.has(e.code)) return true;
  if (e.name === 'ConnectionException') return true;
  // Every pooled connection stayed busy past the acquire timeout: overloaded, not broken.
  if (e.name === 'KnexTimeoutError') return true;
  if (
    typeof e.message === 'string' &&
    /connect|timeout|terminat|pool/i.test(e.message) &&
    error instanceof DriverException
  )
    return true;
  if (
    typeof e.message === 'string' &&
    /Connection terminated|Connection ended unexpectedly|timeout exceeded when trying to connect|is not currently accepting connections/i.test(
      e.message,
    )
  )
    return true;
  // knex's answer when a COMMIT dies with its connection (a database failover): the rollback
  // that follows finds the transaction already complete, and the connection error is lost.
  if (typeof e.message === 'string' && /^Transaction query already complete/.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== error ? isOutage(e.cause) : false;
}

/**
 * The last word on what a client sees. Known codes keep their message; an outage becomes
 * SERVICE_UNAVAILABLE; anything else is masked as INTERNAL_SERVER_ERROR and logged here, so no
 * stack, SQL or driver text ever reaches a client.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  const original = unwrapResolverError(error);
  if (typeof code === 'string' && CLIENT_SAFE_CODES.has(code) && !isOutage(original)) {
    const { stacktrace: _stacktrace, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
  }
  if (isOutage(original)) {
    return {
      message: 'The service is temporarily unavailable; retry shortly.',
      path: formatted.path,
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
    };
  }
  return {
    message: 'Internal server error.',
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}

/**
 * Logs what formatError masks (outages and unexpected errors), with the request id, so the masked
 * INTERNAL_SERVER_ERROR a client saw can be found in the logs. The full error goes to the log only.
 */
export function errorLoggingPlugin(logger: Logger): ApolloServerPlugin<Context> {
  // One listener for every request (no per-request state): no object made per request.
  const listener: GraphQLRequestListener<Context> = {
    async didEncounterErrors({ errors, contextValue }) {
      const requestId = requestContextOf(contextValue.req)?.requestId;
      for (const error of errors) {
        const code = error.extensions?.code;
        const original = unwrapResolverError(error);
        if (isOutage(original)) {
          logger.error({ err: original, path: error.path, requestId }, 'dependency unavailable');
        } else if (typeof code !== 'string' || !CLIENT_SAFE_CODES.has(code)) {
          logger.error({ err: original, path: error.path, requestId }, 'internal error');
        }
      }
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
