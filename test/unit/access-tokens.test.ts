import {
  SignJWT,
  UnsecuredJWT,
  createLocalJWKSet,
  decodeProtectedHeader,
  decodeJwt,
  exportPKCS8,
  generateKeyPair,
  jwtVerify,
} from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AccessTokenService } from '../../src/security/access-tokens.js';
import { SIGNING_KEY_SEAL_PURPOSE, SigningKeyStore } from '../../src/security/signing-keys.js';
import { SigningKey } from '../../src/storage/entities/index.js';
import { ACCESS_TTL, AUDIENCE, ISSUER, openSecurityStack } from '../helpers/security-stack.js';
import type { SecurityStack } from '../helpers/security-stack.js';

/**
 * Access tokens (src/security/access-tokens.ts) and their signing keys (src/security/signing-keys.ts)
 * on a real database and a fake clock: TK-1, TK-2 and the key rotation and revocation rules, fast
 * enough for Stryker to run against every mutant of both modules.
 */
const T0 = new Date('2026-12-01T10:00:00.000Z');
const at = (ms: number) => vi.setSystemTime(new Date(T0.getTime() + ms));
const CLAIMS = {
  userId: '0b9f4d8e-7a53-4c39-9a55-2d4f63f1b0a1',
  sessionId: '5d7c1c52-5f0e-4f5b-8f3e-0e9b4b2a6c11',
  amr: ['pwd', 'mfa'],
  authTime: new Date('2026-12-01T09:30:00.000Z'),
  roles: ['admin'],
};

let stack: SecurityStack;
beforeAll(async () => {
  stack = await openSecurityStack('sqlite');
});
afterAll(async () => {
  await stack?.close();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A fresh key table and a store over it, at T0 on the fake clock. */
async function freshStore(reloadMs = 60_000) {
  vi.useFakeTimers({ toFake: ['Date'] });
  at(0);
  await stack.orm.em.fork().nativeDelete(SigningKey, {});
  const store = new SigningKeyStore(() => stack.orm.em.fork(), stack.box, ACCESS_TTL, reloadMs);
  await store.init();
  return { store, tokens: new AccessTokenService(store, ISSUER, AUDIENCE, ACCESS_TTL) };
}

/** A token signed with the store's own key, with the header and payload given. */
async function handMade(
  store: SigningKeyStore,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
  build: (jwt: SignJWT) => SignJWT = (jwt) => jwt,
) {
  const key = await store.signingKey();
  return build(
    new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt', ...header }),
  ).sign(key.privateKey!);
}
const complete = (jwt: SignJWT) =>
  jwt.setSubject(CLAIMS.userId).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('5m');

describe('access tokens', () => {
  it('issues an EdDSA at+jwt with the claims, iat, exp and a unique jti, and verifies it back', async () => {
    const { store, tokens } = await freshStore();
    at(1500);
    const issued = await tokens.issue(CLAIMS, new Date(T0.getTime() + 1500));
    expect(issued.expiresAt).toEqual(new Date(T0.getTime() + 1000 + ACCESS_TTL * 1000));
    const header = decodeProtectedHeader(issued.token);
    expect(header).toEqual({ alg: 'EdDSA', kid: (await store.signingKey()).kid, typ: 'at+jwt' });
    const payload = decodeJwt(issued.token);
    expect(payload).toMatchObject({
      sub: CLAIMS.userId,
      sid: CLAIMS.sessionId,
      amr: CLAIMS.amr,
      roles: CLAIMS.roles,
      iss: ISSUER,
      aud: AUDIENCE,
      iat: T0.getTime() / 1000 + 1,
      exp: T0.getTime() / 1000 + 1 + ACCESS_TTL,
      auth_time: CLAIMS.authTime.getTime() / 1000,
    });
    const verified = await tokens.verify(issued.token);
    expect(verified).toEqual({
      userId: CLAIMS.userId,
      sessionId: CLAIMS.sessionId,
      amr: CLAIMS.amr,
      roles: CLAIMS.roles,
      authTime: CLAIMS.authTime,
      tokenId: payload.jti,
    });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    const again = decodeJwt((await tokens.issue(CLAIMS)).token);
    expect(again.jti).not.toBe(payload.jti);
    // Without `now`, the clock's time.
    expect(again.iat).toBe(T0.getTime() / 1000 + 1);
  });

  it('signs a compact JWS that a relying service verifies with jose against the published JWKS', async () => {
    const { store, tokens } = await freshStore();
    const issued = await tokens.issue(CLAIMS);
    expect(issued.token.split('.')).toHaveLength(3);
    const { payload, protectedHeader } = await jwtVerify(
      issued.token,
      createLocalJWKSet(await store.jwks()),
      {
        algorithms: ['EdDSA'],
        typ: 'at+jwt',
        issuer: ISSUER,
        audience: AUDIENCE,
      },
    );
    expect(protectedHeader.kid).toBe((await store.signingKey()).kid);
    expect(payload.sub).toBe(CLAIMS.userId);
    // One flipped character of the signature and the same verification refuses it.
    const last = issued.token.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${issued.token.slice(0, -2)}${last}${issued.token.slice(-1)}`;
    await expect(jwtVerify(tampered, createLocalJWKSet(await store.jwks()))).rejects.toThrow();
  });

  it('carries at most 16 roles, and keeps only string amr and roles entries when verifying', async () => {
    const { store, tokens } = await freshStore();
    const many = Array.from({ length: 20 }, (_, i) => `role${i}`);
    const issued = await tokens.issue({ ...CLAIMS, roles: many });
    expect(decodeJwt(issued.token).roles).toEqual(many.slice(0, 16));
    const odd = await handMade(
      store,
      { sid: CLAIMS.sessionId, amr: ['pwd', 7, null], roles: [...many, 3].map((r, i) => (i === 1 ? 5 : r)) },
      {},
      complete,
    );
    const verified = await tokens.verify(odd);
    expect(verified?.amr).toEqual(['pwd']);
    expect(verified?.roles).toEqual(many.filter((_, i) => i !== 1).slice(0, 16));
    // Not arrays, no auth_time, no jti: empty lists and nulls.
    const bare = await handMade(
      store,
      { sid: CLAIMS.sessionId, amr: 'pwd', roles: 'admin', auth_time: 'x' },
      {},
      complete,
    );
    expect(await tokens.verify(bare)).toEqual({
      userId: CLAIMS.userId,
      sessionId: CLAIMS.sessionId,
      amr: [],
      roles: [],
      authTime: null,
      tokenId: null,
    });
  });

  it('accepts a token less than 5 seconds past its expiry, and refuses it from then on', async () => {
    const { tokens } = await freshStore();
    const issued = await tokens.issue(CLAIMS);
    at(ACCESS_TTL * 1000 + 4999);
    expect(await tokens.verify(issued.token)).not.toBeNull();
    at(ACCESS_TTL * 1000 + 5000);
    expect(await tokens.verify(issued.token)).toBeNull();
  });

  it('refuses tokens of another type, issuer or audience, unsigned, tampered, or missing a required claim', async () => {
    const { store, tokens } = await freshStore();
    const valid = await handMade(store, { sid: CLAIMS.sessionId }, {}, complete);
    expect(await tokens.verify(valid)).not.toBeNull();
    const refused = [
      await handMade(store, { sid: CLAIMS.sessionId }, { typ: 'JWT' }, complete),
      await handMade(store, { sid: CLAIMS.sessionId }, {}, (jwt) =>
        complete(jwt).setIssuer('https://evil.test'),
      ),
      await handMade(store, { sid: CLAIMS.sessionId }, {}, (jwt) => complete(jwt).setAudience('other')),
      // Missing sid, sub, exp or iat.
      await handMade(store, {}, {}, complete),
      await handMade(store, { sid: CLAIMS.sessionId }, {}, (jwt) =>
        jwt.setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('5m'),
      ),
      await handMade(store, { sid: CLAIMS.sessionId }, {}, (jwt) =>
        jwt.setSubject(CLAIMS.userId).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt(),
      ),
      await handMade(store, { sid: CLAIMS.sessionId }, {}, (jwt) =>
        jwt.setSubject(CLAIMS.userId).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m'),
      ),
      // sid present but not a string.
      await handMade(store, { sid: 42 }, {}, complete),
      // sub present but not a string (jose checks its presence, not its type).
      await handMade(store, { sid: CLAIMS.sessionId, sub: 7 }, {}, (jwt) =>
        jwt.setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('5m'),
      ),
      // Correctly signed, but sid or sub names no session or user: not a UUID (such ids would
      // otherwise reach the database as malformed uuids).
      await handMade(store, { sid: 'not-a-uuid' }, {}, complete),
      await handMade(store, { sid: `${CLAIMS.sessionId}'--` }, {}, complete),
      await handMade(store, { sid: CLAIMS.sessionId, sub: 'admin' }, {}, (jwt) =>
        jwt.setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('5m'),
      ),
      // alg: none, with the right kid.
      `${new UnsecuredJWT({ sid: CLAIMS.sessionId, sub: CLAIMS.userId }).encode().slice(0, -1)}`,
      // Tampered payload.
      (() => {
        const [h, , s] = valid.split('.');
        const body = Buffer.from(JSON.stringify({ ...decodeJwt(valid), sub: 'someone-else' })).toString(
          'base64url',
        );
        return `${h}.${body}.${s}`;
      })(),
      'not a jwt',
      '',
    ];
    for (const token of refused) expect(await tokens.verify(token), token).toBeNull();
  });

  it('refuses a token without a kid, with a kid that is no string, or signed by a key it does not know', async () => {
    const { store, tokens } = await freshStore();
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    expect(await exportPKCS8(privateKey)).toContain('PRIVATE KEY');
    const kid = (await store.signingKey()).kid;
    const foreign = await complete(
      new SignJWT({ sid: CLAIMS.sessionId }).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' }),
    ).sign(privateKey);
    expect(await tokens.verify(foreign)).toBeNull();
    const noKid = await complete(
      new SignJWT({ sid: CLAIMS.sessionId }).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' }),
    ).sign((await store.signingKey()).privateKey!);
    expect(await tokens.verify(noKid)).toBeNull();
    const numericKid = await handMade(store, { sid: CLAIMS.sessionId }, { kid: 7 }, complete);
    expect(await tokens.verify(numericKid)).toBeNull();
    const unknownKid = await handMade(store, { sid: CLAIMS.sessionId }, { kid: 'nobody' }, complete);
    expect(await tokens.verify(unknownKid)).toBeNull();
  });
  it('a token verified before is refused once its key is revoked on another replica (after the reload interval), and a copy with another signature never passes', async () => {
    const { store, tokens } = await freshStore(60_000);
    const issued = await tokens.issue(CLAIMS);
    const kid = decodeProtectedHeader(issued.token).kid!;
    expect(await tokens.verify(issued.token)).toMatchObject({ userId: CLAIMS.userId });
    // Verified again from memory: the same claims.
    at(30_000);
    expect(await tokens.verify(issued.token)).toMatchObject({ userId: CLAIMS.userId, roles: ['admin'] });
    const [h, p] = issued.token.split('.');
    const forged = `${h}.${p}.${Buffer.alloc(64, 7).toString('base64url')}`;
    expect(await tokens.verify(forged)).toBeNull();
    const other = new SigningKeyStore(() => stack.orm.em.fork(), stack.box, ACCESS_TTL, 60_000);
    await other.init();
    expect((await other.revoke(kid)).revoked).toBe(true);
    // Within the interval this replica has not re-read its keys (as before this map existed)…
    at(59_000);
    expect(await tokens.verify(issued.token)).not.toBeNull();
    // …past it, the revoked key verifies nothing, remembered or not.
    at(61_000);
    expect(await tokens.verify(issued.token)).toBeNull();
    expect(await store.verificationKey(kid)).toBeNull();
  });

  it('lets a key-store failure during verification through as that error, not as an invalid token', async () => {
    const { store: a } = await freshStore();
    let down = false;
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const b = new SigningKeyStore(
      () => {
        if (down) throw outage;
        return stack.orm.em.fork();
      },
      stack.box,
      ACCESS_TTL,
      60_000,
    );
    await b.init();
    const tokensB = new AccessTokenService(b, ISSUER, AUDIENCE, ACCESS_TTL);
    const known = await tokensB.issue(CLAIMS);
    at(10);
    await a.rotate();
    const unknownHere = await new AccessTokenService(a, ISSUER, AUDIENCE, ACCESS_TTL).issue(CLAIMS);
    const noKid = await complete(
      new SignJWT({ sid: CLAIMS.sessionId }).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' }),
    ).sign((await a.signingKey()).privateKey!);
    const numericKid = await handMade(a, { sid: CLAIMS.sessionId }, { kid: 7 }, complete);
    down = true;
    at(2000);
    // A header that names no key (no kid, or one that is no string) is refused without a read of the
    // keys: invalid, not an outage.
    expect(await tokensB.verify(noKid)).toBeNull();
    expect(await tokensB.verify(numericKid)).toBeNull();
    // A kid B has not loaded makes it re-read the keys: the database is down, and that is what it says.
    await expect(tokensB.verify(unknownHere.token)).rejects.toBe(outage);
    // A token of a key it has loaded still verifies from memory.
    expect(await tokensB.verify(known.token)).toMatchObject({ userId: CLAIMS.userId });
  });
});

describe('signing keys', () => {
  it('rotating retires only the signing key: a key retired earlier keeps its retirement time', async () => {
    const { store } = await freshStore();
    const first = (await store.signingKey()).kid;
    at(1000);
    const second = await store.rotate();
    at(5000);
    await store.rotate();
    const rows = await stack.orm.em.fork().find(SigningKey, { kid: { $in: [first, second] } });
    const retiredAt = Object.fromEntries(rows.map((r) => [r.kid, r.retiredAt]));
    expect(retiredAt).toEqual({
      [first]: new Date(T0.getTime() + 1000),
      [second]: new Date(T0.getTime() + 5000),
    });
    // So the first key leaves the JWKS when its own last token has expired, not the second's.
    at(1000 + (ACCESS_TTL + 60) * 1000);
    expect((await store.jwks()).keys.map((k) => k.kid)).not.toContain(first);
    expect((await store.jwks()).keys.map((k) => k.kid)).toContain(second);
  });

  it('revoking the signing key while retired keys are still published replaces it', async () => {
    const { store, tokens } = await freshStore();
    at(10);
    await store.rotate();
    at(20);
    const signing = await store.rotate();
    const result = await store.revoke(signing);
    expect(result.revoked).toBe(true);
    expect(result.replacedBy).toEqual(expect.any(String));
    expect((await store.signingKey()).kid).toBe(result.replacedBy);
    const issued = await tokens.issue(CLAIMS);
    expect(decodeProtectedHeader(issued.token).kid).toBe(result.replacedBy);
    expect(await tokens.verify(issued.token)).toMatchObject({ userId: CLAIMS.userId });
  });

  it('creates one sealed key on an empty table, and a second replica signs with the same key', async () => {
    const { store } = await freshStore();
    const rows = await stack.orm.em.fork().find(SigningKey, {});
    expect(rows).toHaveLength(1);
    expect(rows[0]!.algorithm).toBe('EdDSA');
    expect(rows[0]!.privateKeyEncrypted).not.toContain('PRIVATE KEY');
    expect(stack.box.open(SIGNING_KEY_SEAL_PURPOSE, rows[0]!.privateKeyEncrypted)).toContain(
      'BEGIN PRIVATE KEY',
    );
    const other = new SigningKeyStore(() => stack.orm.em.fork(), stack.box, ACCESS_TTL);
    await other.init();
    expect((await other.signingKey()).kid).toBe(rows[0]!.kid);
    expect(await stack.orm.em.fork().count(SigningKey, {})).toBe(1);
    const jwks = await store.jwks();
    expect(jwks.keys).toEqual([
      expect.objectContaining({ kid: rows[0]!.kid, alg: 'EdDSA', use: 'sig', kty: 'OKP', crv: 'Ed25519' }),
    ]);
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('replicas starting together on an empty table agree on the oldest key and retire their own', async () => {
    // The real clock: "the oldest key" is the first one written.
    await stack.orm.em.fork().nativeDelete(SigningKey, {});
    const stores = [1, 2, 3].map(() => new SigningKeyStore(() => stack.orm.em.fork(), stack.box, ACCESS_TTL));
    await Promise.all(stores.map((s) => s.init()));
    const kids = await Promise.all(stores.map(async (s) => (await s.signingKey()).kid));
    expect(new Set(kids).size).toBe(1);
    const live = await stack.orm.em.fork().find(SigningKey, { retiredAt: null });
    expect(live.map((k) => k.kid)).toEqual([kids[0]]);
  });

  it('rotates: the new key signs, the old one verifies until its last token expires plus a minute', async () => {
    const { store, tokens } = await freshStore();
    const old = await tokens.issue(CLAIMS);
    const oldKid = decodeProtectedHeader(old.token).kid;
    at(1000);
    const kid = await store.rotate();
    expect(kid).not.toBe(oldKid);
    const fresh = await tokens.issue(CLAIMS);
    expect(decodeProtectedHeader(fresh.token).kid).toBe(kid);
    expect((await store.jwks()).keys.map((k) => k.kid).sort()).toEqual([kid, oldKid].sort());
    const retired = await stack.orm.em.fork().findOneOrFail(SigningKey, { kid: oldKid as string });
    expect(retired.retiredAt).toEqual(new Date(T0.getTime() + 1000));
    // A token of the retired key, re-signed within its lifetime, still verifies while it is published.
    const verifier = new AccessTokenService(store, ISSUER, AUDIENCE, 10 * ACCESS_TTL);
    const lateOld = await handMade(store, {}, {}, (jwt) => jwt);
    expect(lateOld).toBeTruthy();
    at(1000 + (ACCESS_TTL + 60) * 1000 - 1);
    expect((await store.jwks()).keys.map((k) => k.kid)).toContain(oldKid);
    expect(await verifier.verify(old.token)).toBeNull(); // expired by then, but the key is still known:
    expect(await store.verificationKey(oldKid as string)).not.toBeNull();
    at(1000 + (ACCESS_TTL + 60) * 1000);
    expect((await store.jwks()).keys.map((k) => k.kid)).toEqual([kid]);
    expect(await store.verificationKey(oldKid as string)).toBeNull();
    expect(await store.verificationKey(kid)).not.toBeNull();
  });

  it('revokes a key: its tokens are refused at once, and a revoked signing key is replaced', async () => {
    const { store, tokens } = await freshStore();
    const first = await tokens.issue(CLAIMS);
    const firstKid = decodeProtectedHeader(first.token).kid as string;
    at(10);
    const second = await store.rotate();
    // A retired key revoked: nothing replaces it.
    expect(await store.revoke(firstKid)).toEqual({ revoked: true, replacedBy: null });
    expect(await tokens.verify(first.token)).toBeNull();
    expect((await store.jwks()).keys.map((k) => k.kid)).toEqual([second]);
    // The signing key revoked: a new one in the same step.
    const signed = await tokens.issue(CLAIMS);
    const result = await store.revoke(second);
    expect(result.revoked).toBe(true);
    expect(result.replacedBy).not.toBeNull();
    expect(result.replacedBy).not.toBe(second);
    expect(await tokens.verify(signed.token)).toBeNull();
    expect((await store.signingKey()).kid).toBe(result.replacedBy);
    expect((await store.jwks()).keys.map((k) => k.kid)).toEqual([result.replacedBy]);
    expect(await store.revoke('no-such-kid')).toEqual({ revoked: false, replacedBy: null });
  });

  it('another replica sees a rotation within the reload interval, and an unknown kid at most once a second', async () => {
    const { store: a, tokens: tokensA } = await freshStore(60_000);
    const b = new SigningKeyStore(() => stack.orm.em.fork(), stack.box, ACCESS_TTL, 60_000);
    await b.init();
    const tokensB = new AccessTokenService(b, ISSUER, AUDIENCE, ACCESS_TTL);
    const oldKid = (await b.signingKey()).kid;
    at(500);
    const kid = await a.rotate();
    const fresh = await tokensA.issue(CLAIMS);
    // Half a second after B loaded: an unknown kid does not make it re-read yet.
    expect(await tokensB.verify(fresh.token)).toBeNull();
    at(1001);
    expect(await tokensB.verify(fresh.token)).not.toBeNull();
    // B signs with the old key until its set is older than the interval, then re-reads in the background.
    const c = new SigningKeyStore(() => stack.orm.em.fork(), stack.box, ACCESS_TTL, 60_000);
    await c.init();
    at(2000);
    const newer = await a.rotate();
    at(2000 + 60_000);
    expect((await c.signingKey()).kid).toBe(kid);
    at(2001 + 60_000);
    expect((await c.signingKey()).kid).toBe(kid);
    await vi.waitFor(async () => expect((await c.signingKey()).kid).toBe(newer));
    expect(oldKid).not.toBe(kid);
  });

  it('a key revoked on another replica stops verifying here once the set is older than the interval', async () => {
    const { store: a, tokens: tokensA } = await freshStore(60_000);
    const b = new SigningKeyStore(() => stack.orm.em.fork(), stack.box, ACCESS_TTL, 60_000);
    await b.init();
    const tokensB = new AccessTokenService(b, ISSUER, AUDIENCE, 10 * ACCESS_TTL);
    const token = (await tokensA.issue(CLAIMS)).token;
    await a.revoke(decodeProtectedHeader(token).kid as string);
    at(60_000);
    expect(await tokensB.verify(token)).not.toBeNull();
    at(60_001);
    expect(await tokensB.verify(token)).toBeNull();
    // JWKS re-reads a stale set too.
    const c = new SigningKeyStore(() => stack.orm.em.fork(), stack.box, ACCESS_TTL, 60_000);
    await c.init();
    const before = (await c.jwks()).keys.map((k) => k.kid);
    const rotated = await a.rotate();
    expect((await c.jwks()).keys.map((k) => k.kid)).toEqual(before);
    at(120_002);
    expect((await c.jwks()).keys.map((k) => k.kid)).toContain(rotated);
  });
});
