import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { appleClientSecret } from '../../src/auth/social/social-providers.js';
import { loadConfig } from '../../src/config.js';
import { dataDir, problemsOf } from '../helpers/config.js';

const providers = (list: unknown[]) => ({ DATA_DIR: dataDir(), OAUTH_PROVIDERS: JSON.stringify(list) });
const one = (entry: Record<string, unknown>) => loadConfig(providers([entry])).oauthProviders[0]!;
const applePem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

describe('social sign-in providers (OAUTH_PROVIDERS, OAUTH_PROVIDERS_FILE)', () => {
  it('has no providers by default', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).oauthProviders).toEqual([]);
  });

  it('configures Google by discovery at accounts.google.com', () => {
    expect(one({ id: 'google', preset: 'google', clientId: 'g', clientSecret: 's' })).toMatchObject({
      name: 'Google',
      kind: 'oidc',
      issuer: 'https://accounts.google.com',
      scopes: ['openid', 'email', 'profile'],
      trustEmail: false,
      audiences: ['g'],
      responseMode: 'query',
    });
  });

  it("configures Microsoft by its tenant's v2.0 issuer, and needs the tenant", () => {
    expect(
      one({
        id: 'ms',
        preset: 'microsoft',
        tenant: 'contoso.onmicrosoft.com',
        clientId: 'm',
        clientSecret: 's',
      }),
    ).toMatchObject({
      name: 'Microsoft',
      issuer: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0',
    });
    expect(
      one({ id: 'ms', preset: 'microsoft', tenant: 'consumers', clientId: 'm', clientSecret: 's' }).issuer,
    ).toBe('https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0');
    expect(
      problemsOf(providers([{ id: 'ms', preset: 'microsoft', clientId: 'm', clientSecret: 's' }])),
    ).toEqual(['OAUTH_PROVIDERS[0].tenant: required for the microsoft preset (a tenant id, or "consumers")']);
  });

  it('configures Apple at appleid.apple.com with form_post and a signing key instead of a secret, plus native audiences', () => {
    const apple = one({
      id: 'apple',
      preset: 'apple',
      clientId: 'com.example.web',
      appleKey: { teamId: 'TEAM', keyId: 'KEY', privateKey: applePem },
      audiences: ['com.example.ios'],
    });
    expect(apple).toMatchObject({
      name: 'Apple',
      issuer: 'https://appleid.apple.com',
      responseMode: 'form_post',
      scopes: ['openid', 'email'],
      clientSecret: null,
      audiences: ['com.example.web', 'com.example.ios'],
    });
    expect(problemsOf(providers([{ id: 'apple', preset: 'apple', clientId: 'x' }]))).toEqual([
      'OAUTH_PROVIDERS[0].appleKey: required for the apple preset (teamId, keyId, privateKey)',
    ]);
  });

  it('configures GitLab at gitlab.com, or at a self-hosted issuer', () => {
    expect(one({ id: 'gitlab', preset: 'gitlab', clientId: 'l', clientSecret: 's' }).issuer).toBe(
      'https://gitlab.com',
    );
    expect(
      one({
        id: 'gitlab',
        preset: 'gitlab',
        issuer: 'https://git.example.com/',
        clientId: 'l',
        clientSecret: 's',
      }).issuer,
    ).toBe('https://git.example.com');
  });

  it("configures GitHub as OAuth 2.0 with GitHub's endpoints and API", () => {
    expect(
      one({ id: 'github', preset: 'github', clientId: 'h', clientSecret: 's', trustEmail: true }),
    ).toMatchObject({
      name: 'GitHub',
      kind: 'github',
      issuer: null,
      authorizationEndpoint: 'https://github.com/login/oauth/authorize',
      tokenEndpoint: 'https://github.com/login/oauth/access_token',
      apiBaseUrl: 'https://api.github.com',
      scopes: ['read:user', 'user:email'],
      trustEmail: true,
    });
  });

  it('refuses a bad YAML file listing every problem, not just the first', () => {
    const file = join(dataDir(), 'providers.yaml');
    writeFileSync(
      file,
      [
        '- id: google',
        '  preset: google',
        '  clientId: g',
        '- id: Bad Id',
        '  issuer: not-a-url',
        '  clientId: x',
        '  clientSecret: y',
        '  trustEmail: "yes"',
      ].join('\n'),
    );
    const problems = problemsOf({ DATA_DIR: dataDir(), OAUTH_PROVIDERS_FILE: file });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^OAUTH_PROVIDERS_FILE\[1\]\[id\]: /),
        expect.stringMatching(/^OAUTH_PROVIDERS_FILE\[1\]\[issuer\]: /),
        expect.stringMatching(/^OAUTH_PROVIDERS_FILE\[1\]\[trustEmail\]: /),
      ]),
    );
    expect(problems).toHaveLength(3);
  });

  it('lists every semantic problem of the entries at once, duplicates included', () => {
    const problems = problemsOf(
      providers([
        { id: 'a', preset: 'google', clientId: 'g' },
        { id: 'a', issuer: 'https://idp.example', clientId: 'x', clientSecret: 'y', scopes: ['email'] },
        { id: 'b', clientId: 'x', clientSecret: 'y' },
      ]),
    );
    expect(problems).toEqual([
      'OAUTH_PROVIDERS[0].clientSecret: required',
      'OAUTH_PROVIDERS[1].id: "a" is listed twice',
      'OAUTH_PROVIDERS[1].scopes: must include openid',
      'OAUTH_PROVIDERS[2].issuer: required (or a preset)',
    ]);
  });

  it('accepts http:// only for a loopback provider, and never in production', () => {
    const local = { id: 'local', issuer: 'http://127.0.0.1:9999', clientId: 'x', clientSecret: 'y' };
    expect(problemsOf(providers([local]))).toEqual([]);
    expect(problemsOf(providers([{ ...local, issuer: 'http://idp.example' }]))).toEqual([
      'OAUTH_PROVIDERS[0].issuer: must be https:// (http:// only on loopback outside production)',
    ]);
    expect(problemsOf({ ...providers([local]), NODE_ENV: 'production' })).toContain(
      'OAUTH_PROVIDERS[0].issuer: must be https://',
    );
  });

  it('refuses a missing file, unparsable JSON, and both variables at once', () => {
    expect(problemsOf({ DATA_DIR: dataDir(), OAUTH_PROVIDERS_FILE: '/nonexistent/providers.json' })).toEqual([
      'OAUTH_PROVIDERS_FILE: file not found',
    ]);
    expect(problemsOf({ DATA_DIR: dataDir(), OAUTH_PROVIDERS: '[{' })).toEqual([
      'OAUTH_PROVIDERS: not valid JSON/YAML',
    ]);
    expect(problemsOf({ ...providers([]), OAUTH_PROVIDERS_FILE: '/x.json' })).toEqual([
      'OAUTH_PROVIDERS: set OAUTH_PROVIDERS_FILE or OAUTH_PROVIDERS, not both',
    ]);
  });

  it('reads OAUTH_REDIRECT_ALLOWLIST as origins and app schemes, refusing dangerous schemes', () => {
    expect(
      loadConfig({
        DATA_DIR: dataDir(),
        OAUTH_REDIRECT_ALLOWLIST: 'https://App.example/path, com.example.app:',
      }).oauthRedirectAllowlist,
    ).toEqual(['https://app.example', 'com.example.app:']);
    expect(problemsOf({ DATA_DIR: dataDir(), OAUTH_REDIRECT_ALLOWLIST: 'javascript:' })).toEqual([
      'OAUTH_REDIRECT_ALLOWLIST: "javascript:" is neither an http(s) origin nor an app scheme (like com.example.app:)',
    ]);
  });
});

describe("Sign in with Apple's client secret", () => {
  it('is an ES256 JWT with the key id, the team as issuer, the client as subject, Apple as audience, valid a day', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const now = Math.floor(Date.now() / 1000);
    const secret = await appleClientSecret(
      { teamId: 'TEAM123456', keyId: 'KEY7654321', privateKey: pem },
      'com.example.web',
      now,
    );
    expect(decodeProtectedHeader(secret)).toEqual({ alg: 'ES256', kid: 'KEY7654321' });
    const { payload } = await jwtVerify(secret, publicKey, {
      algorithms: ['ES256'],
      issuer: 'TEAM123456',
      subject: 'com.example.web',
      audience: 'https://appleid.apple.com',
    });
    expect(payload).toEqual({
      iss: 'TEAM123456',
      sub: 'com.example.web',
      aud: 'https://appleid.apple.com',
      iat: now,
      exp: now + 86_400,
    });
    // Apple refuses a client secret valid for more than six months.
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(15_777_000);
    // Another key's signature does not verify: the secret really is signed with the team's key.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    await expect(jwtVerify(secret, other)).rejects.toThrow();
  });
});
