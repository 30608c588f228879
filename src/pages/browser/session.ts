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

/**
 * Reads the one-time token of an email link and takes it out of the address bar and history.
 * Links carry it in the fragment (`#token=`): a fragment never reaches a server, proxy or log.
 * `?token=` is the pre-0.2 form, still accepted for one release (and stripped the same way).
 */
export function takeTokenFromAddress(): string | null {
  const url = new URL(window.location.href);
  const fragment = new URLSearchParams(url.hash.slice(1));
  const token = fragment.get('token') || url.searchParams.get('token');
  if (!token) return null;
  fragment.delete('token');
  url.searchParams.delete('token');
  const hash = fragment.toString();
  window.history.replaceState(null, '', url.pathname + url.search + (hash ? `#${hash}` : ''));
  return token;
}

/**
 * Shows one variant of an email-link page (`landing` or `request`), hides the other, and names
 * the page after it. Returns the token when there is one (landing), else null.
 */
export function emailLinkVariant(id: string): string | null {
  // A link opened while this page is already showing changes only the fragment: no new page load,
  // so start over with the token in the address.
  window.addEventListener('hashchange', () => {
    if (new URLSearchParams(window.location.hash.slice(1)).has('token')) window.location.reload();
  });
  const token = takeTokenFromAddress();
  const shown = document.getElementById(`${id}-${token ? 'landing' : 'request'}`);
  const hidden = document.getElementById(`${id}-${token ? 'request' : 'landing'}`);
  if (shown) shown.hidden = false;
  if (hidden) hidden.hidden = true;
  const title = shown?.dataset.title;
  if (title) {
    document.title = `${title} · Plinto`;
    const heading = document.querySelector('h1');
    if (heading) heading.textContent = title;
  }
  return token;
}
