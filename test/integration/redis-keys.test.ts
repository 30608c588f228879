import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { KeyedHash, REDIS_EMAIL_KEY_LABEL, sha256Hex } from '../../src/security/crypto.js';
import { gql, SIGN_IN, uniqueEmail } from '../helpers/graphql.js';
import { TEST_AUTH_SECRET } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';

describe('email hashes in Redis keys', () => {
  // Limits on, so that the per-account limit keys are written next to the failure counter.
  const ctx = useServer('postgresql', { RATE_LIMITS_ENABLED: 'true' });

  it('keys limits and failure counters by an HMAC under a key derived from AUTH_SECRET, not a plain SHA-256', async () => {
    const email = uniqueEmail('keyed');
    const response = await gql(ctx.server.url, SIGN_IN, { email, password: 'not the password 7' });
    expect(response.body.data?.signIn.__typename).toBe('InvalidCredentials');

    const redis = new Redis(ctx.server.env.REDIS_URL!);
    try {
      const keys = (await redis.keys(`${ctx.server.env.REDIS_KEY_PREFIX}*`)).join('\n');
      // A plain SHA-256 of an address can be found by hashing a list of candidate addresses.
      for (const plain of [email, `email:${email}`]) expect(keys).not.toContain(sha256Hex(plain));
      expect(keys).not.toContain(email);
      // The keyed hash is there, and only AUTH_SECRET reproduces it.
      const keyed = new KeyedHash(TEST_AUTH_SECRET, REDIS_EMAIL_KEY_LABEL);
      expect(keys).toContain(`login-failures:${keyed.hex(email)}`);
      expect(keys).toContain(`signIn:acct:${keyed.hex(`email:${email}`)}`);
      const otherSecret = new KeyedHash(`${TEST_AUTH_SECRET}-other`, REDIS_EMAIL_KEY_LABEL);
      expect(keys).not.toContain(otherSecret.hex(email));
    } finally {
      redis.disconnect();
    }
  });
});
