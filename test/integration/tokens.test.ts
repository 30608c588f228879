import { execFile } from 'node:child_process';
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { AccessTokenService } from '../../src/security/access-tokens.js';
import { SecretBox } from '../../src/security/crypto.js';
import { SigningKeyStore } from '../../src/security/signing-keys.js';
import { migrate, openOrm } from '../../src/storage/orm.js';
import { BACKENDS, createTestDatabase } from '../helpers/database.js';
import { bearer, gql, ME, REFRESH, signUpUser } from '../helpers/graphql.js';
import { startServer, testEnv } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';

const run = promisify(execFile);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];
const decode = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));

describe.each(BACKENDS)('access tokens and signing keys (%s)', (backend) => {
  const ctx = useServer(backend);

  async function meCode(token: string): Promise<string | undefined> {
    const response = await gql(ctx.server.url, ME, {}, bearer(token));
    return response.body.data?.me ? 'OK' : String(response.body.errors?.[0]?.extensions?.code);
  }

  it('issues EdDSA tokens with the documented claims, verifiable from the JWKS with plain node:crypto', async () => {
    const user = await signUpUser(ctx.server.url);
    const [header, payload, signature] = parts(user.accessToken);
    const claims = decode(payload);
    expect(decode(header)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(claims).toMatchObject({
      sub: user.userId,
      sid: user.sessionId,
      amr: ['pwd'],
      iss: 'http://plinto.test',
      aud: 'plinto',
    });
    expect(claims.exp - claims.iat).toBe(900);

    const jwks = (await (await fetch(`${ctx.server.url}/.well-known/jwks.json`)).json()) as { keys: any[] };
    const jwk = jwks.keys.find((k) => k.kid === decode(header).kid);
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwk.d).toBeUndefined();
    // A generic verifier, not the library that signed: Ed25519 over "header.payload".
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    const signed = Buffer.from(`${header}.${payload}`);
    expect(verifySignature(null, signed, key, Buffer.from(signature, 'base64url'))).toBe(true);
    expect(
      verifySignature(
        null,
        Buffer.from(`${header}.${b64({ ...claims, sub: 'x' })}`),
        key,
        Buffer.from(signature, 'base64url'),
      ),
    ).toBe(false);
  });

  it('refuses tampered, alg:none, expired and wrong-audience tokens', async () => {
    const user = await signUpUser(ctx.server.url);
    expect(await meCode(user.accessToken)).toBe('OK');
    const [header, payload, signature] = parts(user.accessToken);
    const claims = decode(payload);

    const tampered = `${header}.${b64({ ...claims, sub: '00000000-0000-0000-0000-000000000000' })}.${signature}`;
    expect(await meCode(tampered)).toBe('UNAUTHENTICATED');
    // Flip one character in the middle: the last one carries padding bits a decoder may ignore.
    const middle = Math.floor(signature.length / 2);
    const swapped = signature[middle] === 'A' ? 'B' : 'A';
    const flipped = `${header}.${payload}.${signature.slice(0, middle)}${swapped}${signature.slice(middle + 1)}`;
    expect(await meCode(flipped)).toBe('UNAUTHENTICATED');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    expect(await meCode(none)).toBe('UNAUTHENTICATED');
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: decode(header).kid })
      .sign(new TextEncoder().encode('guess'));
    expect(await meCode(hs256)).toBe('UNAUTHENTICATED');

    const key = await ctx.server.app.services.signingKeys.signingKey();
    const resign = (overrides: Record<string, unknown>) =>
      new SignJWT({ ...claims, ...overrides })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
        .sign(key.privateKey!);
    // Control: the same key and claims are accepted, so the refusals below are about the claim changed.
    expect(await meCode(await resign({}))).toBe('OK');
    const now = Math.floor(Date.now() / 1000);
    expect(await meCode(await resign({ iat: now - 3600, exp: now - 1800 }))).toBe('UNAUTHENTICATED');
    expect(await meCode(await resign({ aud: 'another-service' }))).toBe('UNAUTHENTICATED');
    expect(await meCode(await resign({ iss: 'https://evil.example' }))).toBe('UNAUTHENTICATED');
    expect(await meCode('not.a.jwt')).toBe('UNAUTHENTICATED');
  });

  it('refuses a JWT signed by a published key whose typ is not at+jwt', async () => {
    const user = await signUpUser(ctx.server.url);
    const claims = decode(parts(user.accessToken)[1]);
    const key = await ctx.server.app.services.signingKeys.signingKey();
    const signed = (header: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, ...header }).sign(key.privateKey!);
    expect(await meCode(await signed({ typ: 'at+jwt' }))).toBe('OK');
    expect(await meCode(await signed({ typ: 'application/at+jwt' }))).toBe('OK');
    for (const typ of [undefined, 'JWT', 'id+jwt', 'at+jwt2', 'logout+jwt']) {
      expect(await meCode(await signed(typ === undefined ? {} : { typ })), String(typ)).toBe(
        'UNAUTHENTICATED',
      );
    }
  });

  it('carries a unique jti and auth_time, which stays the sign-in time across refreshes', async () => {
    const user = await signUpUser(ctx.server.url);
    const first = decode(parts(user.accessToken)[1]);
    expect(first.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.auth_time).toBeLessThanOrEqual(first.iat);
    expect(first.iat - first.auth_time).toBeLessThan(5);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const refreshed = await gql(ctx.server.url, REFRESH, { refreshToken: user.refreshToken });
    const second = decode(parts(refreshed.body.data?.refreshSession.tokens.accessToken)[1]);
    expect(second.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.jti).not.toBe(first.jti);
    expect(second.iat).toBeGreaterThan(first.iat);
    expect(second.auth_time).toBe(first.auth_time);
  });

  it('keeps tokens valid across a restart (keys in the database, sealed with AUTH_SECRET)', async () => {
    const user = await signUpUser(ctx.server.url);
    await ctx.server.close();
    ctx.server = await startServer(ctx.database);
    expect(await meCode(user.accessToken)).toBe('OK');
    const refreshed = await gql(ctx.server.url, REFRESH, { refreshToken: user.refreshToken });
    expect(refreshed.body.data?.refreshSession.__typename).toBe('SignInSuccess');
  });

  it('rotates the signing key while the previous one stays published and accepted', async () => {
    const user = await signUpUser(ctx.server.url);
    const oldKid = decode(parts(user.accessToken)[0]).kid;
    const newKid = await ctx.server.app.services.signingKeys.rotate();
    expect(newKid).not.toBe(oldKid);
    const jwks = (await (await fetch(`${ctx.server.url}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string }>;
    };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    expect(await meCode(user.accessToken)).toBe('OK');
    const next = await gql(ctx.server.url, REFRESH, { refreshToken: user.refreshToken });
    expect(decode(parts(next.body.data?.refreshSession.tokens.accessToken)[0]).kid).toBe(newKid);
  });

  it('stores signing keys only sealed', async () => {
    const rows = await ctx.server.app.services.orm.em
      .fork()
      .getConnection()
      .execute('select private_key_encrypted from signing_keys');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows as Array<{ private_key_encrypted: string }>) {
      expect(row.private_key_encrypted).toMatch(/^v1\./);
      expect(row.private_key_encrypted).not.toMatch(/PRIVATE KEY/);
    }
  });
});

describe.each(BACKENDS)('first boot of several replicas at once (%s)', (backend) => {
  it('agrees on one signing key, so every replica verifies every other one’s tokens', async () => {
    const database = await createTestDatabase(backend);
    const config = loadConfig(testEnv(backend, database.url));
    const orm = await openOrm(config.database);
    await migrate(orm);
    try {
      const box = new SecretBox(config.authSecret);
      const stores = [1, 2, 3].map(() => new SigningKeyStore(() => orm.em.fork(), box, 900));
      await Promise.all(stores.map((store) => store.init()));
      const kids = await Promise.all(stores.map(async (store) => (await store.signingKey()).kid));
      expect(new Set(kids).size).toBe(1);
      const services = stores.map(
        (store) => new AccessTokenService(store, 'http://plinto.test', 'plinto', 900),
      );
      const claims = {
        userId: crypto.randomUUID(),
        sessionId: crypto.randomUUID(),
        amr: ['pwd'],
        authTime: new Date(Math.floor(Date.now() / 1000) * 1000),
        roles: ['admin'],
      };
      for (const signer of services) {
        const { token } = await signer.issue(claims);
        for (const verifier of services) expect(await verifier.verify(token)).toMatchObject(claims);
      }
    } finally {
      await orm.close(true);
      await database.drop();
    }
  });
});

describe('revoking a compromised signing key (two instances, one database)', () => {
  const RELOAD_SECONDS = 2;
  const ctx = useServer('postgresql', { SIGNING_KEY_RELOAD_SECONDS: String(RELOAD_SECONDS) });
  let other: TestServer;
  beforeAll(async () => {
    other = await startServer(ctx.database, { SIGNING_KEY_RELOAD_SECONDS: String(RELOAD_SECONDS) });
  });
  afterAll(async () => {
    await other?.close();
  });

  const kidsOf = async (url: string) => {
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string }>;
    };
    return jwks.keys.map((k) => k.kid);
  };
  const meOn = async (url: string, token: string) => {
    const response = await gql(url, ME, {}, bearer(token));
    return response.body.data?.me ? 'OK' : String(response.body.errors?.[0]?.extensions?.code);
  };

  it('unpublishes the key at once and every instance refuses its tokens within SIGNING_KEY_RELOAD_SECONDS', async () => {
    const user = await signUpUser(ctx.server.url);
    const kid = decode(parts(user.accessToken)[0]).kid as string;
    for (const server of [ctx.server, other]) expect(await meOn(server.url, user.accessToken)).toBe('OK');

    const { stdout } = await run('node_modules/.bin/tsx', ['src/cli/rotate-keys.ts', '--revoke', kid], {
      env: { ...process.env, ...ctx.server.env },
    });
    expect(stdout).toContain(`revoked signing key ${kid}`);
    // No waiting for the JWKS: the key is gone from the database, and a JWKS older than the
    // reload interval is re-read before it is served.
    await new Promise((resolve) => setTimeout(resolve, (RELOAD_SECONDS + 1) * 1000));
    for (const server of [ctx.server, other]) {
      expect(await kidsOf(server.url)).not.toContain(kid);
      expect(await meOn(server.url, user.accessToken)).toBe('UNAUTHENTICATED');
    }
    // The session survives: a refresh gets a token from the new key, accepted everywhere.
    const refreshed = await gql(other.url, REFRESH, { refreshToken: user.refreshToken });
    const token = refreshed.body.data?.refreshSession.tokens.accessToken as string;
    expect(decode(parts(token)[0]).kid).not.toBe(kid);
    for (const server of [ctx.server, other]) expect(await meOn(server.url, token)).toBe('OK');

    const unknown = await run(
      'node_modules/.bin/tsx',
      ['src/cli/rotate-keys.ts', '--revoke', 'no-such-kid'],
      {
        env: { ...process.env, ...ctx.server.env },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no signing key no-such-kid');
  });
});
