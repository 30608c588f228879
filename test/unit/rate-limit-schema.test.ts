import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPlintoSchema, printPlintoSchema } from '../../src/build-schema.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { clientRateLimitKey } from '../../src/security/client-key.js';
import { DEFAULT_RATE_LIMITS, resolveRateLimits } from '../../src/security/rate-limit-rules.js';

// In-memory SQLite: loading a config must not create a data directory.
const ENV = { AUTH_SECRET: 'x'.repeat(40), DATABASE_URL: 'sqlite::memory:' };

describe('rate-limit directives in the schema', () => {
  it('puts the limits of the table on the Mutation fields, visible in the printed SDL', async () => {
    const sdl = printPlintoSchema(await buildPlintoSchema());
    expect(sdl).toContain('directive @rateLimit(');
    expect(sdl).toContain('directive @rateLimitPerAccount(');
    expect(sdl).toContain(
      'signIn(input: SignInInput!): SignInResult! @rateLimit(limit: 5, duration: 60) @rateLimitPerAccount(limit: 10, duration: 60)',
    );
    expect(sdl).toMatch(/signUp\(input: SignUpInput!\): SignUpResult! @rateLimit\(limit: 3, duration: 60\)/);
    expect(sdl).toMatch(/refreshSession\(refreshToken: String\): RefreshResult! @rateLimit\(/);
    // Fields outside the table (signOut) carry no limit.
    expect(sdl).toMatch(/^\s*signOut: Boolean!$/m);
  });

  it('matches the committed schema.graphql', async () => {
    expect(readFileSync('schema.graphql', 'utf8')).toBe(printPlintoSchema(await buildPlintoSchema()));
  });

  it('applies RATE_LIMITS overrides by field name', async () => {
    const config = loadConfig({
      ...ENV,
      RATE_LIMITS: 'signIn=7/30,signUp.account=2/600',
    });
    const limits = resolveRateLimits(config.rateLimitOverrides);
    expect(limits.signIn).toEqual({
      client: { limit: 7, durationSeconds: 30 },
      account: DEFAULT_RATE_LIMITS.signIn!.account,
    });
    const sdl = printPlintoSchema(await buildPlintoSchema(undefined, limits));
    expect(sdl).toContain('@rateLimit(limit: 7, duration: 30) @rateLimitPerAccount(limit: 10, duration: 60)');
    expect(sdl).toContain('@rateLimit(limit: 3, duration: 60) @rateLimitPerAccount(limit: 2, duration: 600)');
  });

  it('refuses unknown names and empty limits in RATE_LIMITS', () => {
    const attempt = () =>
      loadConfig({
        ...ENV,
        RATE_LIMITS: 'signin=5/60,resetPassword.account=1/60,signUp=0/60',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(3);
    }
  });
});

describe('clientRateLimitKey', () => {
  it('keys IPv4 as is, unwraps IPv4-mapped IPv6, and groups IPv6 by /64', () => {
    expect(clientRateLimitKey('203.0.113.9')).toBe('203.0.113.9');
    expect(clientRateLimitKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientRateLimitKey('2001:db8:1:2:aaaa::1')).toBe(clientRateLimitKey('2001:db8:1:2:bbbb::2'));
    expect(clientRateLimitKey('2001:db8:1:2::1')).not.toBe(clientRateLimitKey('2001:db8:1:3::1'));
    expect(clientRateLimitKey(null)).toBe('unknown');
  });
});
