import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, isForbiddenAddress } from '../../src/webhooks/address-guard.js';

describe('the webhook address guard (SSRF)', () => {
  it('refuses private, loopback, link-local and mapped addresses and allows public ones', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fd00:ec2::254',
      'fc00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '::7f00:1',
      '::a9fe:a9fe',
      '2002:7f00:1::',
      '2001:0:4136:e378:8000:63bf:80ff:fffe',
      'not an address',
    ]) {
      expect(isForbiddenAddress(address), address).toBe(true);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isForbiddenAddress(address), address).toBe(false);
    }
  });

  it('refuses IPv4-compatible, 6to4 and Teredo addresses, which carry an IPv4 address inside', () => {
    const policy = { allowPrivateNetworks: false, requireHttps: false };
    for (const url of [
      'http://[::127.0.0.1]/x',
      'http://[2002:7f00:1::]/x',
      'http://[2001:0:4136:e378::1]/x',
    ]) {
      expect(checkEndpointUrl(url, policy).ok, url).toBe(false);
    }
    expect(isForbiddenAddress('2001:4860:4860::8888')).toBe(false);
  });

  it('refuses http:// in production, credentials in the URL and non-web schemes', () => {
    const production = { allowPrivateNetworks: false, requireHttps: true };
    expect(checkEndpointUrl('http://hooks.example.com/x', production).ok).toBe(false);
    expect(checkEndpointUrl('https://hooks.example.com/x', production).ok).toBe(true);
    expect(checkEndpointUrl('https://user:pw@hooks.example.com/x', production).ok).toBe(false);
    expect(checkEndpointUrl('file:///etc/passwd', production).ok).toBe(false);
    expect(checkEndpointUrl('https://127.0.0.1/x', production).ok).toBe(false);
    expect(checkEndpointUrl('https://[::ffff:127.0.0.1]/x', production).ok).toBe(false);
    expect(checkEndpointUrl('not a url', production).ok).toBe(false);
  });
});
