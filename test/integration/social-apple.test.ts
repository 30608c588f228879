import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SocialProviders } from '../../src/auth/social/social-providers.js';
import { loadConfig } from '../../src/config.js';
import { Metrics } from '../../src/observability/metrics.js';
import { dataDir } from '../helpers/config.js';

/**
 * The Apple preset against a local stand-in of appleid.apple.com (the real one is out of reach of
 * tests): discovery, JWKS, and a token endpoint that checks what Apple checks in the
 * client_secret_post body: a client secret that is an ES256 JWT signed with the team's key.
 * The answer comes back as form_post, as Apple sends it when an email is asked for.
 */
describe('Sign in with Apple: the token endpoint receives the ES256 client secret', () => {
  const team = { teamId: 'TEAM123456', keyId: 'KEY7654321' };
  const apple = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const received: Array<{ form: URLSearchParams; secret: JWTPayload | null; kid: string | undefined }> = [];
  let issuer = '';
  let signing: { privateKey: CryptoKey; kid: string };
  let idTokenClaims: JWTPayload = {};
  let challenge = '';

  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://stand-in');
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/auth/authorize`,
        token_endpoint: `${issuer}/auth/token`,
        jwks_uri: `${issuer}/auth/keys`,
        response_types_supported: ['code'],
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post'],
      });
    }
    if (url.pathname === '/auth/keys') {
      void exportJWK(signingPublic!).then((jwk) =>
        json(200, { keys: [{ ...jwk, kid: signing.kid, alg: 'RS256', use: 'sig' }] }),
      );
      return;
    }
    if (url.pathname === '/auth/token' && req.method === 'POST') {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        void (async () => {
          const form = new URLSearchParams(raw);
          const secret = form.get('client_secret') ?? '';
          let claims: JWTPayload | null = null;
          try {
            ({ payload: claims } = await jwtVerify(secret, apple.publicKey, {
              algorithms: ['ES256'],
              issuer: team.teamId,
              subject: 'com.example.web',
              audience: 'https://appleid.apple.com',
            }));
          } catch {
            claims = null;
          }
          received.push({
            form,
            secret: claims,
            kid: secret ? decodeProtectedHeader(secret).kid : undefined,
          });
          const verifier = form.get('code_verifier') ?? '';
          const pkce = createHash('sha256').update(verifier).digest('base64url') === challenge;
          if (!claims || form.get('code') !== 'apple-code' || !pkce)
            return json(400, { error: 'invalid_client' });
          const now = Math.floor(Date.now() / 1000);
          const idToken = await new SignJWT({ ...idTokenClaims, iat: now, exp: now + 600 })
            .setProtectedHeader({ alg: 'RS256', kid: signing.kid })
            .sign(signing.privateKey);
          json(200, {
            access_token: 'apple-access',
            token_type: 'Bearer',
            expires_in: 3600,
            id_token: idToken,
          });
        })();
      });
      return;
    }
    json(404, {});
  });
  let signingPublic: CryptoKey | null = null;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pair = await generateKeyPair('RS256', { extractable: true });
    signing = { privateKey: pair.privateKey, kid: 'apple-key-1' };
    signingPublic = pair.publicKey;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends client_secret_post with an ES256 client secret (team, key id, Apple audience) and proves the form_post answer', async () => {
    const privateKey = apple.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const config = loadConfig({
      DATA_DIR: dataDir(),
      OAUTH_PROVIDERS: JSON.stringify([
        {
          id: 'apple',
          preset: 'apple',
          clientId: 'com.example.web',
          appleKey: { ...team, privateKey },
          trustEmail: true,
        },
      ]),
    });
    // Everything from the preset (form_post, scopes, the key), only the issuer on this machine.
    const preset = config.oauthProviders[0]!;
    expect([preset.issuer, preset.responseMode]).toEqual(['https://appleid.apple.com', 'form_post']);
    const provider = { ...preset, issuer };
    const providers = new SocialProviders([provider], 'http://plinto.test', new Metrics());
    const checks = {
      state: 'state-0123456789abcdef',
      nonce: 'nonce-0123456789abcdef',
      codeVerifier: 'v'.repeat(43),
    };
    const authorization = new URL(await providers.authorizationUrl(provider, checks));
    expect(authorization.searchParams.get('response_mode')).toBe('form_post');
    expect(authorization.searchParams.get('scope')).toBe('openid email');
    challenge = authorization.searchParams.get('code_challenge')!;
    idTokenClaims = {
      iss: issuer,
      aud: 'com.example.web',
      sub: '001234.apple-subject',
      nonce: checks.nonce,
      email: 'relay@privaterelay.appleid.com',
      email_verified: 'true',
    };
    const proven = await providers.exchange(
      provider,
      new URLSearchParams({ code: 'apple-code', state: checks.state }),
      checks,
    );
    expect(proven).toEqual({
      provider: 'apple',
      subject: '001234.apple-subject',
      email: 'relay@privaterelay.appleid.com',
      emailVerified: true,
    });
    expect(received).toHaveLength(1);
    const [call] = received;
    expect(call!.form.get('client_id')).toBe('com.example.web');
    expect(call!.kid).toBe(team.keyId);
    expect(call!.secret).toMatchObject({
      iss: team.teamId,
      sub: 'com.example.web',
      aud: 'https://appleid.apple.com',
    });
    expect(call!.secret!.exp! - call!.secret!.iat!).toBe(86_400);
  });
});
