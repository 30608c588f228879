import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { attachRequestContext } from './request-context.js';
import type { RequestContext } from './request-context.js';

/** Route labels come from this fixed set: a raw URL as a label would let any client create series without bound. */
const KNOWN_ROUTES = new Set(['/graphql', '/health', '/ready', '/metrics', '/.well-known/jwks.json']);
const KNOWN_METHODS = new Set(['GET', 'POST', 'OPTIONS', 'HEAD', 'PUT', 'PATCH', 'DELETE']);
/** Probe and scrape traffic that succeeded is logged at debug: it would drown the lines that matter. */
const QUIET_ROUTES = new Set(['/health', '/ready', '/metrics']);

/** A caller's request id is kept only if it is short and plain: it ends up in logs and headers. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function routeLabel(path: string): string {
  return KNOWN_ROUTES.has(path) ? path : 'other';
}

/**
 * Per request: an id (the caller's, if sane, else a new one; returned as X-Request-Id), one JSON
 * log line when the response is done, and the HTTP request counter and duration histogram.
 * The line holds the path without its query string (a token can ride there) and never a body.
 */
export function requestTracking(logger: Logger, metrics: Metrics): RequestHandler {
  /**
   * The counter and histogram series of one (method, route, status), looked up once: prom-client
   * hashes a labels object on every call otherwise (issue 24, profile). Bounded like the labels:
   * 8 methods × 6 routes × the status codes a server sends.
   */
  const series = new Map<string, { requests: { inc(): void }; duration: { observe(value: number): void } }>();
  const seriesOf = (method: string, route: string, status: number) => {
    const key = `${method} ${route} ${status}`;
    let found = series.get(key);
    if (!found) {
      const labels = { method, route, status: String(status) };
      found = {
        requests: metrics.httpRequests.labels(labels),
        duration: metrics.httpDuration.labels(labels),
      };
      series.set(key, found);
    }
    return found;
  };
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const context: RequestContext = { requestId };
    attachRequestContext(req, context);
    // Taken before the GraphQL admission gate: a request that waited there is timed from its arrival.
    const started = process.hrtime.bigint();
    const path = req.path;

    // `on`, not `once`: a response emits 'close' once, and `once` wraps every listener in a bound
    // wrapper and its state object, per request (issue 24, profile).
    res.on('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(path);
      const counted = seriesOf(KNOWN_METHODS.has(req.method) ? req.method : 'OTHER', route, res.statusCode);
      counted.requests.inc();
      counted.duration.observe(seconds);
      const quiet = QUIET_ROUTES.has(route) && res.statusCode < 400;
      // The line is built only if it will be written (LOG_LEVEL=warn skips it entirely).
      if (!logger.isLevelEnabled(quiet ? 'debug' : 'info')) return;
      const line = {
        requestId,
        method: req.method,
        path: path.slice(0, 200),
        route,
        status: res.statusCode,
        durationMs: Math.round(seconds * 1000),
        ip: req.ip ?? null,
        userAgent: req.get('user-agent')?.slice(0, 200) ?? null,
        ...(context.graphqlOperation ? { operation: context.graphqlOperation } : {}),
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (quiet) logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  };
}
