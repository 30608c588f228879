import { isIP } from 'node:net';

/**
 * Fail-closed checks of secrets and trust settings. Each helper appends its problems to `problems`
 * (the config reports every problem at once) and returns nothing.
 */

// Words that the templates, tutorials and our own examples use in place of a real secret.
const PLACEHOLDER =
  /change[_\- ]?me|example|placeholder|secret|password|replace[_\- ]?(?:me|this)|dummy|sample|insecure|xxxxx/i;

/** The least estimated entropy a production AUTH_SECRET may have (`openssl rand -base64 48` gives ~290). */
export const MIN_SECRET_ENTROPY_BITS = 128;

/**
 * An estimate, not a proof: length × the Shannon entropy of the secret's own characters (of one
 * unit, when the secret repeats one). It catches `aaaa…`, `abcabc…` and words, and passes any
 * random base64 or hex of 32 bytes or more.
 */
export function estimatedEntropyBits(value: string): number {
  const chars = [...value];
  // A repeated unit (`0123456789` four times) carries no more than the unit itself.
  const period = chars.findIndex(
    (_, p) => p > 0 && p <= chars.length / 2 && chars.every((c, i) => c === chars[i % p]),
  );
  if (period > 0) return shannonBits(chars.slice(0, period));
  return shannonBits(chars);
}

function shannonBits(chars: string[]): number {
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const count of counts.values()) {
    const p = count / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}

export function checkProductionSecret(name: string, value: string, problems: string[]): void {
  if (PLACEHOLDER.test(value)) {
    problems.push(
      `${name}: looks like a placeholder from a template; generate one (openssl rand -base64 48)`,
    );
  } else if (estimatedEntropyBits(value) < MIN_SECRET_ENTROPY_BITS) {
    problems.push(`${name}: too little entropy; generate one (openssl rand -base64 48)`);
  }
}

/** A password inside a connection URL (postgres://user:PASSWORD@…) that was never replaced. */
export function checkUrlPassword(name: string, url: string | undefined, problems: string[]): void {
  if (!url) return;
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return; // malformed URLs are reported by their own checks
  }
  if (password && PLACEHOLDER.test(password)) {
    problems.push(`${name}: its password looks like a placeholder from a template`);
  }
}

const NAMED_SUBNETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrCidr(entry: string): boolean {
  const [address, bits, extra] = entry.split('/');
  if (extra !== undefined || !address) return false;
  const version = isIP(address);
  if (version === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (version === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY is a hop count (`1`) or the proxies' addresses (`10.0.0.0/8, loopback`). `true` would
 * believe X-Forwarded-For from anyone, so every client could pick its own IP for the rate limits.
 */
export function checkTrustProxy(value: string | undefined, problems: string[]): void {
  if (value === undefined || value === '' || value === 'false' || /^\d+$/.test(value)) return;
  if (value === 'true') {
    problems.push(
      'TRUST_PROXY: "true" would let every client choose its own IP; give a hop count (1) or the proxies\' addresses/CIDRs',
    );
    return;
  }
  const bad = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => !NAMED_SUBNETS.has(entry) && !isAddressOrCidr(entry));
  if (bad.length > 0) {
    problems.push(`TRUST_PROXY: ${bad.map((b) => `"${b}"`).join(', ')} is not a hop count, address or CIDR`);
  }
}
