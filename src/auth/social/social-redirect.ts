import { InvalidInputError } from '../../domain-errors.js';
import { allowedRedirect } from '../../pages/redirect.js';

/**
 * Where a social sign-in may return: an http(s) URL on CORS_ORIGINS or an OAUTH_REDIRECT_ALLOWLIST
 * origin (the hosted pages' rule, `allowedRedirect`), or a deep link with an allowed app scheme and
 * no credentials. Anything else is BAD_USER_INPUT at begin, so the callback only ever redirects to
 * an address checked here.
 */
export function requireSocialRedirect(
  value: string,
  allowed: { origins: readonly string[]; schemes: readonly string[] },
): string {
  const web = allowedRedirect(value, allowed.origins);
  if (web) return web;
  if (value.length <= 2048 && !/\s/.test(value)) {
    try {
      const url = new URL(value);
      if (
        allowed.schemes.includes(url.protocol.toLowerCase()) &&
        url.username === '' &&
        url.password === ''
      ) {
        return url.href;
      }
    } catch {
      // not a URL: refused below
    }
  }
  throw new InvalidInputError(
    'redirectTo is not an allowed address (CORS_ORIGINS, OAUTH_REDIRECT_ALLOWLIST).',
    'redirectTo',
  );
}

/** The app's address with the callback's answer in the fragment (never sent to a server, nor in a Referer). */
export function withFragment(target: string, values: Record<string, string>): string {
  const url = new URL(target);
  url.hash = new URLSearchParams(values).toString();
  return url.href;
}
