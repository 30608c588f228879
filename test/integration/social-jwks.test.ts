import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SocialProviders, nonceHash } from '../../src/auth/social/social-providers.js';
import { loadConfig } from '../../src/config.js';
import { Metrics } from '../../src/observability/metrics.js';
import { dataDir } from '../helpers/config.js';

/**
 * The provider's discovery document and JWKS are fetched once and cached; a token whose `kid` the
 * cached set does not have makes one fresh JWKS fetch (the provider rotated its keys), and a key
 * that is still unknown after it is refused. A plain HTTP issuer whose keys the test rotates.
 */
describe('social sign-in: discovery and JWKS caching', () => {
  const fetches = { discovery: 0, jwks: 0 };
  let published: JWK[] = [];
  let issuer = '';
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      fetches.discovery += 1;
      res.end(
        JSON.stringify({
          issuer,
          authorization_endpoint: `${issuer}/auth`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      );
      return;
    }
    if (req.url === '/jwks') {
      fetches.jwks += 1;
      res.end(JSON.stringify({ keys: published }));
      return;
    }
    res.statusCode = 404;
    res.end('{}');
  });

  const key = async (kid: string) => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
  };
  const token = (signer: { kid: string; privateKey: CryptoKey }, nonce: string) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ nonce: nonceHash(nonce), email: 'rotating@example.com', email_verified: true })
      .setProtectedHeader({ alg: 'RS256', kid: signer.kid })
      .setIssuer(issuer)
      .setSubject('subject-1')
      .setAudience('native-app')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(signer.privateKey);
  };

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches discovery and JWKS once, refetches the JWKS once for an unknown kid, and refuses a kid still unknown', async () => {
    const config = loadConfig({
      DATA_DIR: dataDir(),
      OAUTH_PROVIDERS: JSON.stringify([
        { id: 'rot', issuer, clientId: 'web', clientSecret: 's', audiences: ['native-app'] },
      ]),
    });
    // No cooldown between JWKS fetches here (production waits 30 s), so the rotation is seen at once.
    const providers = new SocialProviders(config.oauthProviders, 'http://plinto.test', new Metrics(), 0);
    const provider = providers.get('rot')!;
    const first = await key('key-1');
    const second = await key('key-2');
    published = [first.jwk];
    const verify = async (signer: typeof first) =>
      providers.verifyIdToken(provider, await token(signer, 'nonce-0123456789abcdef'), {
        audiences: provider.audiences,
        hashedNonce: nonceHash('nonce-0123456789abcdef'),
      });

    expect((await verify(first)).subject).toBe('subject-1');
    expect((await verify(first)).subject).toBe('subject-1');
    expect(fetches).toEqual({ discovery: 1, jwks: 1 });

    // The provider rotates to a new key: the first token signed with it makes one fresh fetch.
    published = [second.jwk];
    expect((await verify(second)).email).toBe('rotating@example.com');
    expect(fetches.jwks).toBe(2);
    expect(fetches.discovery).toBe(1);

    // A key the provider does not publish is refused, whatever the cache holds.
    const forged = await key('key-3');
    await expect(verify(forged)).rejects.toMatchObject({ code: 'invalid_id_token' });
  });
});
