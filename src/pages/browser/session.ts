import { PlintoClient, PlintoError } from '../../../client/src/index.js';
import { allowedRedirect } from '../redirect.js';

/**
 * The typed client as the pages use it: same-origin /graphql, refresh token in the HttpOnly
 * cookie (page script can never read it), access token in memory only.
 */
export function createClient(): PlintoClient {
  return new PlintoClient({
    url: new URL('/graphql', window.location.origin).href,
    refreshTransport: 'cookie',
  });
}

/** An honest sentence for a top-level error (rate limit, outage) or a network failure. */
export function describeError(error: unknown): string {
  if (error instanceof PlintoError) {
    if (error.code === 'RATE_LIMITED') {
      return error.retryAfter
        ? `Too many requests. Try again in ${error.retryAfter} seconds.`
        : 'Too many requests. Try again in a moment.';
    }
    if (error.code === 'UNAUTHENTICATED') return 'You are signed out. Sign in again.';
    if (error.code === 'SERVICE_UNAVAILABLE') return 'Plinto is busy right now. Try again in a moment.';
    return error.message;
  }
  return 'Plinto could not be reached. Check your connection and try again.';
}

/** The validated `redirect` parameter of this page, or null (checked again here, not only by the server). */
export function redirectTarget(): string | null {
  const origins = (document.body.dataset.redirectOrigins ?? '').split(' ').filter(Boolean);
  return allowedRedirect(new URLSearchParams(window.location.search).get('redirect'), origins);
}

/** After a successful sign-in: back to the app that sent the user here, else the account page. */
export function continueAfterSignIn(): void {
  window.location.assign(redirectTarget() ?? '/account');
}

/** Reads the one-time token of an email link and takes it out of the address bar and history. */
export function takeTokenFromAddress(): string | null {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token === null) return null;
  url.searchParams.delete('token');
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  return token;
}
