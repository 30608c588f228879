import { isIPv4, isIPv6 } from 'node:net';

/**
 * The rate-limit identity of a client address. IPv4 as is (IPv4-mapped IPv6 unwrapped);
 * IPv6 by its /64, because one host usually owns a whole /64 and could rotate through it.
 */
export function clientRateLimitKey(ip: string | null | undefined): string {
  // No address at all (should not happen behind Express): one shared, conservative bucket.
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip)) return ip;
  const bare = ip.replace(/%.*$/, '');
  if (!isIPv6(bare)) return 'unknown';
  return `${expandIPv6(bare).slice(0, 4).join(':')}::/64`;
}

/**
 * The network a client address belongs to: IPv4 by its /24, IPv6 by its /64. Used to tell "the
 * same client" across two requests a moment apart (a mobile retry may change its last octet behind
 * carrier NAT, but not its network); null when there is no usable address.
 */
export function clientNetwork(ip: string | null | undefined): string | null {
  const key = clientRateLimitKey(ip);
  if (key === 'unknown') return null;
  if (isIPv4(key)) return `${key.split('.').slice(0, 3).join('.')}.0/24`;
  return key;
}

function expandIPv6(ip: string): string[] {
  const [head = '', tail] = ip.split('::') as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(':') : []);
  let headGroups = parse(head);
  let tailGroups = tail === undefined ? [] : parse(tail);
  // An embedded IPv4 tail (::1.2.3.4) is two groups.
  const toGroups = (groups: string[]) =>
    groups.flatMap((g) => {
      if (!g.includes('.')) return [g];
      const [a = 0, b = 0, c = 0, d = 0] = g.split('.').map(Number);
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  headGroups = toGroups(headGroups);
  tailGroups = toGroups(tailGroups);
  const zeros = tail === undefined ? [] : Array(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].map((g) => parseInt(g, 16).toString(16));
}
