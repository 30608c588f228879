import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, isForbiddenAddress } from '../../src/webhooks/address-guard.js';
import { checkDescription } from '../../src/webhooks/webhook-endpoints.service.js';

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

describe('webhook endpoint input with control characters', () => {
  const policy = { allowPrivateNetworks: false, requireHttps: false };

  it('refuses a URL with a NUL byte, a tab, a line break or DEL, which the parser would drop or PostgreSQL refuse', () => {
    for (const url of [
      'https://hooks.example.com/x\u0000',
      'https://hooks.exa\tmple.com/x',
      'https://hooks.example.com/\nx',
      'https://hooks.example.com/x\r',
      'https://hooks.example.com/\u007f',
    ]) {
      const check = checkEndpointUrl(url, policy);
      expect(check, JSON.stringify(url)).toEqual({
        ok: false,
        reason: 'must not contain control characters',
      });
    }
    expect(checkEndpointUrl('https://hooks.example.com/x?a=b%00', policy).ok).toBe(true);
  });

  it('phrases every refusal to follow "The URL"', () => {
    expect(checkEndpointUrl('not a url', policy)).toEqual({ ok: false, reason: 'is not an absolute URL' });
    expect(checkEndpointUrl(`https://hooks.example.com/${'a'.repeat(2048)}`, policy)).toEqual({
      ok: false,
      reason: 'is longer than 2048 characters',
    });
  });

  it('refuses a description with a NUL byte or another control character, and keeps line breaks and tabs', () => {
    for (const description of ['a\u0000b', 'bell\u0007', 'del\u007f', 'esc\u001b[31m']) {
      expect(checkDescription(description), JSON.stringify(description)).toEqual({
        kind: 'invalid',
        field: 'description',
        reason: 'No control characters other than line breaks and tabs.',
      });
    }
    for (const description of ['crm', 'line one\nline two\r\n\tindented', 'é ü 漢字', null, '']) {
      expect(checkDescription(description), JSON.stringify(description)).toBeNull();
    }
    expect(checkDescription('a'.repeat(501))).toEqual({
      kind: 'invalid',
      field: 'description',
      reason: 'At most 500 characters.',
    });
  });
});
