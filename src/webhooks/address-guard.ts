import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

/**
 * SSRF protection for webhook URLs: an endpoint may not make Plinto talk to its own network.
 * Loopback, private, shared (CGNAT), link-local (with the cloud metadata address 169.254.169.254),
 * unique-local, multicast and reserved ranges are refused, at registration and again for the
 * address every delivery actually connects to (after DNS resolution, so a name that resolves to a
 * public address at registration and to 127.0.0.1 later is refused then). Tests turn this off
 * with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true.
 */
const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  // ::/96 covers :: and ::1, and the deprecated IPv4-compatible ::a.b.c.d (::127.0.0.1).
  ['::', 96],
  // 6to4 and Teredo carry an IPv4 address inside (2002:7f00:1:: is 127.0.0.1 through a relay).
  ['2002::', 16],
  ['2001::', 32],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

/** True when Plinto must not connect to this IP address (IPv4, IPv6, or IPv4-mapped IPv6). */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 4) return blocked.check(address, 'ipv4');
  const lower = address.toLowerCase();
  // ::ffff:127.0.0.1 and ::ffff:7f00:1 are IPv4 addresses in IPv6 clothing: judge the IPv4 one.
  const mapped = /^::ffff:(?:0:)?(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const hexMapped = /^::ffff:(?:0:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hexMapped) {
    const high = parseInt(hexMapped[1]!, 16);
    const low = parseInt(hexMapped[2]!, 16);
    return blocked.check(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, 'ipv4');
  }
  return blocked.check(address, 'ipv6');
}

export interface AddressPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: tests deliver to a receiver on loopback. */
  allowPrivateNetworks: boolean;
  /** Production: only https:// endpoints. */
  requireHttps: boolean;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** The URL's own shape: scheme, no credentials, a host; an IP literal host is judged here too. */
export function checkEndpointUrl(raw: string, policy: AddressPolicy): UrlCheck {
  // A NUL byte would reach PostgreSQL as a driver error (a 500), and the URL parser silently drops
  // tabs and line breaks, so the address delivered to would not be the one stored and shown.
  if (/\p{Cc}/u.test(raw)) return { ok: false, reason: 'must not contain control characters' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not an absolute URL' };
  }
  if (raw.length > 2048) return { ok: false, reason: 'is longer than 2048 characters' };
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, reason: 'must be an https:// URL' };
  }
  if (policy.requireHttps && url.protocol !== 'https:')
    return { ok: false, reason: 'must be an https:// URL' };
  if (url.username || url.password) return { ok: false, reason: 'must not carry credentials' };
  if (!url.hostname) return { ok: false, reason: 'has no host' };
  const host = hostOf(url);
  if (!policy.allowPrivateNetworks) {
    if (isIP(host) !== 0 && isForbiddenAddress(host)) {
      return { ok: false, reason: 'points to a private, loopback or link-local address' };
    }
  }
  return { ok: true, url };
}

/** The host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** Resolves the URL's host now and refuses when any of its addresses is forbidden (registration check). */
export async function checkResolvedHost(url: URL, policy: AddressPolicy): Promise<UrlCheck> {
  if (policy.allowPrivateNetworks) return { ok: true, url };
  const host = hostOf(url);
  if (isIP(host) !== 0) return isForbiddenAddress(host) ? forbidden() : { ok: true, url };
  try {
    const addresses = await lookup(host, { all: true, verbatim: true });
    if (addresses.length === 0) return { ok: false, reason: 'does not resolve' };
    if (addresses.some((a) => isForbiddenAddress(a.address))) return forbidden();
  } catch {
    return { ok: false, reason: 'does not resolve' };
  }
  return { ok: true, url };
}

function forbidden(): UrlCheck {
  return { ok: false, reason: 'resolves to a private, loopback or link-local address' };
}
