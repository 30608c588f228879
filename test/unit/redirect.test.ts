import { describe, expect, it } from 'vitest';
import { allowedRedirect, normalizeOrigins } from '../../src/pages/redirect.js';

const ORIGINS = ['https://app.example.com', 'http://localhost:3000'];

describe('the redirect parameter of the hosted pages', () => {
  it('accepts absolute URLs on a configured origin, normalised', () => {
    expect(allowedRedirect('https://app.example.com/welcome?x=1#top', ORIGINS)).toBe(
      'https://app.example.com/welcome?x=1#top',
    );
    expect(allowedRedirect('https://APP.example.com:443', ORIGINS)).toBe('https://app.example.com/');
    expect(allowedRedirect('http://localhost:3000/after', ORIGINS)).toBe('http://localhost:3000/after');
  });

  it.each([
    ['another origin', 'https://evil.example/'],
    ['a look-alike host', 'https://app.example.com.evil.example/'],
    ['another scheme on the same host', 'http://app.example.com/'],
    ['another port', 'https://app.example.com:8443/'],
    ['credentials before the host', 'https://app.example.com@evil.example/'],
    ['credentials on the allowed host', 'https://user:pass@app.example.com/'],
    ['protocol-relative', '//evil.example/'],
    ['backslash protocol-relative', '/\\evil.example/'],
    ['backslashes after the scheme', 'https:\\\\evil.example/'],
    ['a relative path', '/account'],
    ['javascript:', 'javascript:alert(1)'],
    ['javascript: disguised', ' JavaScript:alert(1)//https://app.example.com'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['leading whitespace', ' https://app.example.com/'],
    ['a tab inside the scheme', 'ht\ttps://app.example.com/'],
    ['no host', 'https:///evil.example'],
    ['empty', ''],
  ])('refuses %s', (_what, value) => {
    expect(allowedRedirect(value, ORIGINS)).toBeNull();
  });

  it('refuses everything when no origin is configured (the default)', () => {
    expect(allowedRedirect('https://app.example.com/', [])).toBeNull();
    expect(allowedRedirect(null, ORIGINS)).toBeNull();
  });

  it('normalises configured origins and drops junk', () => {
    expect(normalizeOrigins(['https://App.Example.com:443', 'not an origin'])).toEqual([
      'https://app.example.com',
    ]);
  });
});
