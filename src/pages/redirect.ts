/**
 * The `redirect` parameter of the hosted pages. Shared by the server (when it renders a page) and
 * the page scripts (before they navigate), so both apply exactly the same rule.
 */

/** The origins as the URL parser writes them (lowercase host, default port dropped); junk is ignored. */
export function normalizeOrigins(origins: readonly string[]): string[] {
  const normalized: string[] = [];
  for (const origin of origins) {
    try {
      normalized.push(new URL(origin).origin);
    } catch {
      // Not an origin: it can never match anything.
    }
  }
  return normalized;
}

/**
 * The URL to send the user to after a flow, or null when `value` is not allowed.
 * Open redirects turn an auth server into a phishing tool: only absolute http(s) URLs whose origin
 * is one of the configured origins (CORS_ORIGINS) pass. Relative, protocol-relative (`//evil`),
 * backslash (`/\evil`), `javascript:`, `data:` and credential-carrying URLs never do.
 */
export function allowedRedirect(
  value: string | null | undefined,
  allowedOrigins: readonly string[],
): string | null {
  if (!value || value.length > 2048) return null;
  // Checked on the raw text, before the parser forgives anything (leading spaces, tabs, backslashes).
  if (!/^https?:\/\/[^/\\\s]/i.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  // user:pass@ is how `https://allowed.example@evil.example` disguises its real host.
  if (url.username !== '' || url.password !== '') return null;
  if (!normalizeOrigins(allowedOrigins).includes(url.origin)) return null;
  return url.href;
}
