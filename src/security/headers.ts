import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * The API serves JSON: nothing may load from elsewhere, embed plugins, re-base URLs or frame it.
 * `default-src 'self'` also covers the scripts and styles of pages served from this origin;
 * `form-action 'self'` (not covered by default-src): an injected form cannot post a typed password elsewhere.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/**
 * The response headers helmet sets with this configuration, computed once: helmet's middleware
 * runs once against a recording response at startup, so the values stay exactly helmet's.
 */
function helmetHeaderValues(): ReadonlyArray<readonly [string, string]> {
  const middleware = helmet({
    // Set below, byte for byte as documented (helmet would join the directives without spaces).
    contentSecurityPolicy: false,
    // Browsers must never speak plain HTTP to an auth server, subdomains included. The one source
    // of HSTS: the shipped nginx adds none, and ingress-nginx's own is to be switched off (README).
    strictTransportSecurity: { maxAge: 63072000, includeSubDomains: true, preload: true },
    // Clickjacking: no frames at all (older browsers ignore frame-ancestors).
    xFrameOptions: { action: 'deny' },
    // Tokens may travel in email-link URLs: never leak a URL to another site.
    referrerPolicy: { policy: 'no-referrer' },
    xPoweredBy: false,
  });
  const headers: Array<readonly [string, string]> = [];
  let done = false;
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers.push([name, String(value)]);
    },
    removeHeader: () => {},
  };
  middleware({} as Request, recorder as unknown as Response, () => {
    done = true;
  });
  // helmet's middleware is synchronous; if a release ever changed that, fail at startup, not silently.
  if (!done || headers.length === 0) throw new Error('helmet did not set its headers synchronously');
  return headers;
}

/**
 * Security headers for every response (mounted first, so 404s and errors carry them too). One
 * middleware setting precomputed values: helmet's eleven middlewares per request cost CPU on
 * every `me` for headers that never change (issue 24, profile).
 */
export function securityHeaders(): RequestHandler {
  const headers: ReadonlyArray<readonly [string, string]> = [
    ...helmetHeaderValues(),
    ['Content-Security-Policy', CONTENT_SECURITY_POLICY],
    // helmet has no Permissions-Policy: an auth API never needs these powerful features.
    ['Permissions-Policy', 'geolocation=(), microphone=(), camera=()'],
  ];
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/** GraphQL answers carry tokens and personal data: no browser or proxy may keep a copy. */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}

const ALLOWED_METHODS = 'GET, POST, OPTIONS';
const ALLOWED_HEADERS = [
  'Content-Type',
  'Authorization',
  'X-Request-Id',
  'X-Refresh-Token-Transport',
  'Apollo-Require-Preflight',
  'X-Apollo-Operation-Name',
].join(', ');

/**
 * CORS for the configured browser origins only. The allowed origin is echoed exactly (never `*`),
 * because credentials (the refresh cookie) are allowed, and `*` with credentials would hand every
 * site on the web a signed-in user's session.
 */
export function cors(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res, next) => {
    // Caches must key on Origin: an answer for one origin must never be served to another.
    res.vary('Origin');
    const origin = req.get('origin');
    const isAllowed = origin !== undefined && allowed.has(origin);
    if (isAllowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id');
    }
    const preflight = req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined;
    if (!preflight) return next();
    if (isAllowed) {
      res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    // An unlisted origin gets no CORS headers: the browser refuses the real request.
    res.status(403).end();
  };
}
