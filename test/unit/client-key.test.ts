import { describe, expect, it } from 'vitest';
import { clientNetwork, clientRateLimitKey } from '../../src/security/client-key.js';

/** The rate-limit identity and the network of a client address (src/security/client-key.ts): RL-3. */
describe('client key', () => {
  it('keys IPv4 as it is, and IPv4-mapped IPv6 as its IPv4', () => {
    expect(clientRateLimitKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientRateLimitKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientRateLimitKey('::FFFF:203.0.113.7')).toBe('203.0.113.7');
    expect(clientRateLimitKey('::ffff:203.100.113.7')).toBe('203.100.113.7');
    expect(clientRateLimitKey('x::ffff:203.0.113.7')).toBe('unknown');
    expect(clientRateLimitKey('::ffff:203.0.113.7x')).toBe('unknown');
  });

  it('keys IPv6 by its /64, whatever its spelling, zone or embedded IPv4 tail', () => {
    expect(clientRateLimitKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientRateLimitKey('2001:0db8:0001:0002:ffff::1')).toBe('2001:db8:1:2::/64');
    expect(clientRateLimitKey('2001:DB8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(clientRateLimitKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientRateLimitKey('::1')).toBe('0:0:0:0::/64');
    expect(clientRateLimitKey('::')).toBe('0:0:0:0::/64');
    expect(clientRateLimitKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientRateLimitKey('2001:db8:1::')).toBe('2001:db8:1:0::/64');
    expect(clientRateLimitKey('64:ff9b::203.0.113.7')).toBe('64:ff9b:0:0::/64');
    // The embedded tail is two groups: without it the head would be read as more groups than it is.
    expect(clientRateLimitKey('1:2:3::4:203.0.113.7')).toBe('1:2:3:0::/64');
    expect(clientRateLimitKey('1:2:3:4:5:6:203.0.113.7')).toBe('1:2:3:4::/64');
    expect(clientRateLimitKey('::203.0.113.7')).toBe('0:0:0:0::/64');
    // A long tail after `::` reaches into the /64, and an embedded IPv4 tail counts as two groups there.
    expect(clientRateLimitKey('1::2:3:4:5:6:7')).toBe('1:0:2:3::/64');
    expect(clientRateLimitKey('::2:3:4:5:6:7')).toBe('0:0:2:3::/64');
    expect(clientRateLimitKey('::2:3:4:5:1.2.3.4')).toBe('0:0:2:3::/64');
    expect(clientRateLimitKey('1::3:4:5:6:1.2.3.4')).toBe('1:0:3:4::/64');
  });

  it('puts every unusable address in one shared bucket', () => {
    for (const ip of [null, undefined, '', 'not-an-ip', '2001:db8::g', '1.2.3', '%eth0'])
      expect(clientRateLimitKey(ip)).toBe('unknown');
  });

  it('gives the network of an address: IPv4 /24, IPv6 /64, null without one', () => {
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.0/24');
    expect(clientNetwork('::ffff:203.0.113.200')).toBe('203.0.113.0/24');
    expect(clientNetwork('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork(null)).toBeNull();
    expect(clientNetwork('nonsense')).toBeNull();
  });
});
