import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { AccessTokenService } from '../../src/security/access-tokens.js';
import { SecretBox } from '../../src/security/crypto.js';
import { SigningKeyStore } from '../../src/security/signing-keys.js';
import { migrate, openOrm } from '../../src/storage/orm.js';
import { BACKENDS, createTestDatabase } from '../helpers/database.js';
import { bearer, gql, ME, REFRESH, signUpUser } from '../helpers/graphql.js';
import { startServer, testEnv } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';

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
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
        .sign(key.privateKey!);
    // Control: the same key and claims are accepted, so the refusals below are about the claim changed.
    expect(await meCode(await resign({}))).toBe('OK');
    const now = Math.floor(Date.now() / 1000);
    expect(await meCode(await resign({ iat: now - 3600, exp: now - 1800 }))).toBe('UNAUTHENTICATED');
    expect(await meCode(await resign({ aud: 'another-service' }))).toBe('UNAUTHENTICATED');
    expect(await meCode(await resign({ iss: 'https://evil.example' }))).toBe('UNAUTHENTICATED');
    expect(await meCode('not.a.jwt')).toBe('UNAUTHENTICATED');
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
      const claims = { userId: crypto.randomUUID(), sessionId: crypto.randomUUID(), amr: ['pwd'] };
      for (const signer of services) {
        const { token } = await signer.issue(claims);
        for (const verifier of services) expect(await verifier.verify(token)).toEqual(claims);
      }
    } finally {
      await orm.close(true);
      await database.drop();
    }
  });
});
