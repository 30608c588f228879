/** The WebAuthn relying party: who the passkeys belong to and which pages may use them. */
export interface WebAuthnConfig {
  /** The RP ID: a domain, the host of APP_URL or a registrable suffix of it. */
  readonly rpId: string;
  /** Shown by the browser and the authenticator when a passkey is made. */
  readonly rpName: string;
  /** Origins allowed in clientDataJSON: web origins, and native apps' `android:apk-key-hash:…` ones. */
  readonly origins: readonly string[];
}

const NATIVE_ORIGIN = /^(android:apk-key-hash:[A-Za-z0-9_-]+|ios:bundle-id:[A-Za-z0-9.-]+)$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** True when `rpId` is `host` or a parent domain of it on a label boundary (the WebAuthn rule). */
export function isRpIdSuffixOf(rpId: string, host: string): boolean {
  return host === rpId || host.endsWith(`.${rpId}`);
}

/**
 * WEBAUTHN_RP_ID (default: APP_URL's host), WEBAUTHN_RP_NAME (default "Plinto"), WEBAUTHN_ORIGINS
 * (comma-separated; default APP_URL's origin). A malformed value is a problem everywhere;
 * production also refuses an RP ID that is not a registrable suffix of every web origin: the
 * browser would refuse every ceremony. (Browsers themselves refuse WebAuthn on an IP address or
 * on http:// other than localhost; a deployment that uses no passkeys is not stopped for that.)
 */
export function parseWebAuthnConfig(
  env: { WEBAUTHN_RP_ID?: string; WEBAUTHN_RP_NAME?: string; WEBAUTHN_ORIGINS?: string },
  appUrl: string,
  production: boolean,
  problems: string[],
): WebAuthnConfig {
  const app = new URL(appUrl);
  const rpId = (env.WEBAUTHN_RP_ID ?? app.hostname).trim().toLowerCase();
  const rpName = (env.WEBAUTHN_RP_NAME ?? 'Plinto').trim() || 'Plinto';
  const origins = (env.WEBAUTHN_ORIGINS ?? app.origin)
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  if (origins.length === 0) problems.push('WEBAUTHN_ORIGINS: name at least one origin');
  const webHosts: string[] = [];
  for (const origin of origins) {
    if (NATIVE_ORIGIN.test(origin)) continue;
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(
        `WEBAUTHN_ORIGINS: "${origin}" is not an origin (https://host[:port] or android:apk-key-hash:…)`,
      );
      continue;
    }
    webHosts.push(new URL(origin).hostname);
  }
  // Checked when set: the default (APP_URL's host) may be an IP in a deployment that uses no passkeys.
  const explicit = env.WEBAUTHN_RP_ID !== undefined;
  if (explicit && !DOMAIN.test(rpId) && rpId !== 'localhost') {
    problems.push(`WEBAUTHN_RP_ID: "${rpId}" is not a domain name`);
  } else if (production) {
    if (explicit && rpId !== 'localhost' && !rpId.includes('.')) {
      problems.push(`WEBAUTHN_RP_ID: "${rpId}" is a top-level name, not a registrable domain`);
    }
    for (const host of webHosts) {
      if (!isRpIdSuffixOf(rpId, host)) {
        problems.push(
          `WEBAUTHN_RP_ID: "${rpId}" is not a registrable suffix of the origin host "${host}" (WEBAUTHN_ORIGINS)`,
        );
      }
    }
  }
  return { rpId, rpName, origins };
}
