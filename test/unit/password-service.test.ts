import { createHash, createHmac } from 'node:crypto';
import argon2 from 'argon2';
import bcrypt from 'bcrypt';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/observability/metrics.js';
import { HashQueue } from '../../src/security/hash-queue.js';
import { PasswordService, hashScheme, wrapCheapHash } from '../../src/security/password.service.js';
import type { PasswordPolicy } from '../../src/security/password.service.js';

/**
 * Password hashing and verification (src/security/password.service.ts) with the real bcrypt and
 * argon2 at low cost: PW-1…PW-6, AF-10 and the legacy schemes, fast enough for Stryker to run
 * against every mutant of the module. The hash operations a call made are read from the
 * plinto_password_hash_duration_seconds histogram (the dummy verification of timing parity is one).
 */
const PEPPER = Buffer.alloc(32, 7);
const OLD_PEPPER = Buffer.alloc(32, 9);
/** bcrypt('correct horse battery') at cost 10, made once: hashing it in every run would cost a second. */
const BCRYPT_10 = '$2b$10$ZlC9hAOhFEZ8U7h6CQaCOOB.kxzqelfBu/ZhUpbkSK3gfOXE4CFFW';
const LONG = 'é'.repeat(40); // 40 characters, 80 bytes: over bcrypt's 72.

function service(policy: Partial<PasswordPolicy> = {}) {
  const metrics = new Metrics();
  const passwords = new PasswordService(
    { scheme: 'bcrypt', bcryptCost: 5, prehashKeys: [PEPPER], ...policy },
    new HashQueue(2, 100),
    metrics,
  );
  /** Hash operations by scheme since the service was made. */
  const operations = async () =>
    Object.fromEntries(
      (await metrics.passwordHashDuration.get()).values
        .filter((v) => v.metricName === 'plinto_password_hash_duration_seconds_count' && v.value > 0)
        .map((v) => [v.labels.scheme, v.value]),
    );
  return { passwords, operations };
}

describe('password service', () => {
  it('recognises each stored scheme, and nothing else', async () => {
    const b = await bcrypt.hash('x', 4);
    expect(hashScheme(b)).toBe('bcrypt');
    expect(hashScheme(b.replace('$2b$', '$2y$'))).toBe('bcrypt');
    expect(hashScheme(b.replace('$2b$', '$2a$'))).toBe('bcrypt');
    expect(hashScheme(b.replace('$2b$', '$2c$'))).toBeNull();
    expect(hashScheme(`${b}x`)).toBeNull();
    expect(hashScheme(`x${b}`)).toBeNull();
    expect(hashScheme(`bcrypt-hmac:${b}`)).toBe('bcrypt-hmac');
    expect(hashScheme('bcrypt-hmac:nonsense')).toBeNull();
    expect(hashScheme('$argon2id$v=19$m=19456,t=2,p=1$abc$def')).toBe('argon2id');
    expect(hashScheme(`sha256:${'a'.repeat(64)}`)).toBe('sha256-legacy');
    expect(hashScheme(`sha256:${'a'.repeat(63)}`)).toBeNull();
    expect(hashScheme(`sha256:${'a'.repeat(65)}`)).toBeNull();
    expect(hashScheme(`sha256:${'A'.repeat(64)}`)).toBeNull();
    expect(hashScheme(`xsha256:${'a'.repeat(64)}`)).toBeNull();
    expect(hashScheme(`wrapped-sha256:${b}`)).toBe('wrapped-sha256');
    expect(hashScheme('wrapped-sha256:nonsense')).toBeNull();
    expect(hashScheme(`wrapped-bcrypt:${b.slice(0, 29)}:${b}`)).toBe('wrapped-bcrypt');
    expect(hashScheme(`wrapped-bcrypt:${b.slice(0, 28)}:${b}`)).toBeNull();
    expect(hashScheme(`wrapped-bcrypt:${b.slice(0, 29)}x:${b}`)).toBeNull();
    expect(hashScheme(`wrapped-bcrypt:${b.slice(0, 29)}:nonsense`)).toBeNull();
    expect(hashScheme(`wrapped-bcrypt:${b.slice(0, 29)}`)).toBeNull();
    expect(hashScheme(`wrapped-bcrypt::${b}`)).toBeNull();
    expect(hashScheme('plain-text-password')).toBeNull();
    // The prefixes are exact: the same hash behind another prefix is nothing.
    expect(hashScheme(`wrapped-sha25X:${b}`)).toBeNull();
    expect(hashScheme(`wrapped-bcrypX:${b.slice(0, 29)}:${b}`)).toBeNull();
  });

  it('hashes with bcrypt at the policy cost and verifies, NFKC-normalised', async () => {
    const { passwords, operations } = service();
    expect(passwords.scheme).toBe('bcrypt');
    const stored = await passwords.hash('ﬁsh-and-chips-42');
    expect(stored).toMatch(/^\$2b\$05\$/);
    expect(await passwords.verify('fish-and-chips-42', stored)).toEqual({ ok: true, needsRehash: false });
    expect(await passwords.verify('fish-and-chips-43', stored)).toEqual({ ok: false, needsRehash: false });
    expect(await operations()).toEqual({ bcrypt: 3 });
  });

  it('pre-hashes a password over 72 bytes with the pepper, and every byte counts', async () => {
    const { passwords, operations } = service();
    const stored = await passwords.hash(LONG);
    expect(await operations()).toEqual({ 'bcrypt-hmac': 1 });
    expect(stored).toMatch(/^bcrypt-hmac:\$2b\$05\$/);
    const prehash = createHmac('sha256', PEPPER).update(LONG, 'utf8').digest('base64');
    expect(await bcrypt.compare(prehash, stored.slice(12))).toBe(true);
    expect(await passwords.verify(LONG, stored)).toEqual({ ok: true, needsRehash: false });
    expect(await passwords.verify(`${LONG.slice(0, -1)}e`, stored)).toEqual({
      ok: false,
      needsRehash: false,
    });
    // 72 bytes exactly: plain bcrypt.
    expect(await passwords.hash('é'.repeat(36))).toMatch(/^\$2b\$/);
    // Without a pepper: refused, never truncated.
    await expect(service({ prehashKeys: [] }).passwords.hash(LONG)).rejects.toThrow(/pre-hash pepper/);
    await expect(service({ prehashKeys: undefined }).passwords.hash(LONG)).rejects.toThrow(/pre-hash pepper/);
    // A service without the pepper verifies nothing of it.
    expect(await service({ prehashKeys: [] }).passwords.verify(LONG, stored)).toEqual({
      ok: false,
      needsRehash: false,
    });
  });

  it('accepts a pre-hash of the previous pepper and asks for a re-hash under the current one', async () => {
    const old = service({ prehashKeys: [OLD_PEPPER] });
    const stored = await old.passwords.hash(LONG);
    const rotated = service({ prehashKeys: [PEPPER, OLD_PEPPER] });
    expect(await rotated.passwords.verify(LONG, stored)).toEqual({ ok: true, needsRehash: true });
    expect(await rotated.passwords.verify(`${LONG}x`, stored)).toEqual({ ok: false, needsRehash: false });
    expect(await service({ prehashKeys: [PEPPER] }).passwords.verify(LONG, stored)).toEqual({
      ok: false,
      needsRehash: false,
    });
  });

  it('never matches a plain bcrypt hash with an input over 72 bytes (bcrypt would compare only the first 72)', async () => {
    const { passwords } = service();
    const first72 = 'a'.repeat(72);
    const stored = await bcrypt.hash(first72, 5);
    expect(await passwords.verify(first72, stored)).toEqual({ ok: true, needsRehash: false });
    expect(await passwords.verify(`${first72}b`, stored)).toEqual({ ok: false, needsRehash: false });
    // 73 bytes in 49 characters.
    const multi = `${'é'.repeat(24)}${'a'.repeat(25)}`;
    const storedMulti = await bcrypt.hash(multi, 5);
    expect(await passwords.verify(multi, storedMulti)).toEqual({ ok: false, needsRehash: false });
  });

  it('refuses an input over 1 KiB or an unknown hash after a dummy verification', async () => {
    const { passwords, operations } = service();
    const stored = await passwords.hash('correct horse battery');
    const before = (await operations()).bcrypt;
    expect(await passwords.verify('x'.repeat(1025), stored)).toEqual({ ok: false, needsRehash: false });
    expect(await passwords.verify('correct horse battery', 'not-a-hash')).toEqual({
      ok: false,
      needsRehash: false,
    });
    // The dummy is hashed once, then each refusal costs one verification.
    expect((await operations()).bcrypt).toBe(before + 1 + 2);
    // 1024 bytes is still compared (and fails as a password, not as an input).
    expect(await passwords.verify('x'.repeat(1024), stored)).toEqual({ ok: false, needsRehash: false });
    expect((await operations()).bcrypt).toBe(before + 4);
    // The 1 KiB bound holds whatever the hash: argon2id would match a 1025-byte input it hashed.
    const weak = { type: argon2.argon2id, memoryCost: 1024, timeCost: 1 } as const;
    expect(await passwords.verify('x'.repeat(1025), await argon2.hash('x'.repeat(1025), weak))).toEqual({
      ok: false,
      needsRehash: false,
    });
    expect(await passwords.verify('x'.repeat(1024), await argon2.hash('x'.repeat(1024), weak))).toEqual({
      ok: true,
      needsRehash: false,
    });
  });

  it('argon2id: hashes with the OWASP parameters, verifies, and re-hashes weaker hashes and bcrypt', async () => {
    const { passwords, operations } = service({ scheme: 'argon2id' });
    expect(passwords.scheme).toBe('argon2id');
    const stored = await passwords.hash('correct horse battery');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await passwords.verify('correct horse battery', stored)).toEqual({ ok: true, needsRehash: false });
    expect(await passwords.verify('wrong horse battery', stored)).toEqual({ ok: false, needsRehash: false });
    expect(await operations()).toEqual({ argon2id: 3 });
    // argon2id has no 72-byte limit: a long password is hashed as it is, never pre-hashed.
    expect(await passwords.hash(LONG)).toMatch(/^\$argon2id\$/);
    const weak = await argon2.hash('correct horse battery', {
      type: argon2.argon2id,
      memoryCost: 8192,
      timeCost: 1,
    });
    expect(await passwords.verify('correct horse battery', weak)).toEqual({ ok: true, needsRehash: true });
    // A weaker argon2id failing also costs the dummy's time.
    expect(await passwords.verify('wrong', weak)).toEqual({ ok: false, needsRehash: false });
    expect((await operations()).argon2id).toBe(4 + 1 + 2 + 1);
    const b = BCRYPT_10;
    expect(await passwords.verify('correct horse battery', b)).toEqual({ ok: true, needsRehash: true });
    // bcrypt at the floor costs more than the dummy: no dummy after a failure.
    const afterGood = await operations();
    expect(await passwords.verify('wrong', b)).toEqual({ ok: false, needsRehash: false });
    expect(await operations()).toEqual({ ...afterGood, bcrypt: afterGood.bcrypt + 1 });
    // bcrypt below the floor does.
    const cheap = await bcrypt.hash('correct horse battery', 4);
    expect(await passwords.verify('wrong', cheap)).toEqual({ ok: false, needsRehash: false });
    expect((await operations()).argon2id).toBe(afterGood.argon2id + 1);
    expect(passwords.needsRehash(stored)).toBe(false);
    expect(passwords.needsRehash(`bcrypt-hmac:${b}`)).toBe(true);
  });

  it('bcrypt policy: re-hashes lower costs and legacy schemes, keeps argon2id and higher costs', async () => {
    const { passwords, operations } = service({ bcryptCost: 6 });
    const low = await bcrypt.hash('correct horse battery', 5);
    const same = await bcrypt.hash('correct horse battery', 6);
    const high = await bcrypt.hash('correct horse battery', 7);
    expect(await passwords.verify('correct horse battery', low)).toEqual({ ok: true, needsRehash: true });
    expect(await passwords.verify('correct horse battery', same)).toEqual({ ok: true, needsRehash: false });
    expect(await passwords.verify('correct horse battery', high)).toEqual({ ok: true, needsRehash: false });
    expect(passwords.needsRehash(`bcrypt-hmac:${low}`)).toBe(true);
    expect(passwords.needsRehash(`bcrypt-hmac:${same}`)).toBe(false);
    const a2 = await argon2.hash('correct horse battery', {
      type: argon2.argon2id,
      memoryCost: 8192,
      timeCost: 1,
    });
    expect(await passwords.verify('correct horse battery', a2)).toEqual({ ok: true, needsRehash: false });
    expect(passwords.needsRehash('garbage')).toBe(true);
    expect(passwords.needsRehash(`sha256:${'a'.repeat(64)}`)).toBe(true);
    // Failures on cheaper hashes (a lower cost, argon2id) cost the dummy too; on an equal cost they do not.
    const start = await operations();
    await passwords.verify('wrong', same);
    expect(await operations()).toEqual({ ...start, bcrypt: start.bcrypt + 1 });
    await passwords.verify('wrong', low);
    expect((await operations()).bcrypt).toBe(start.bcrypt + 1 + 2 + 1);
    await passwords.verify('wrong', a2);
    expect((await operations()).bcrypt).toBe(start.bcrypt + 5);
    expect((await operations()).argon2id).toBe(start.argon2id + 1);
  });

  it('verifies legacy SHA-256 (with a dummy on failure) and the wrapped imports, all marked for re-hash', async () => {
    const { passwords, operations } = service();
    const sha = `sha256:${createHash('sha256').update('correct horse battery', 'utf8').digest('hex')}`;
    expect(await passwords.verify('correct horse battery', sha)).toEqual({ ok: true, needsRehash: true });
    expect(await operations()).toEqual({});
    expect(await passwords.verify('wrong horse battery', sha)).toEqual({ ok: false, needsRehash: false });
    expect((await operations()).bcrypt).toBe(2);

    const wrappedSha = await wrapCheapHash(sha, 5);
    expect(wrappedSha).toMatch(/^wrapped-sha256:\$2b\$05\$/);
    expect(await passwords.verify('correct horse battery', wrappedSha)).toEqual({
      ok: true,
      needsRehash: true,
    });
    expect(await passwords.verify('wrong horse battery', wrappedSha)).toEqual({
      ok: false,
      needsRehash: false,
    });

    // A salt that begins with '2' (one hash in 64) once made the cost unreadable, and the hash was not wrapped.
    let salt = await bcrypt.genSalt(4);
    while (salt[7] !== '2') salt = await bcrypt.genSalt(4);
    const twoSalted = await bcrypt.hash('correct horse battery', salt);
    expect(await wrapCheapHash(twoSalted, 5)).toMatch(/^wrapped-bcrypt:\$2b\$04\$2/);
    const cheap = (await bcrypt.hash('correct horse battery', 4)).replace('$2b$', '$2y$');
    const wrapped = await wrapCheapHash(cheap, 5);
    expect(wrapped).toMatch(/^wrapped-bcrypt:\$2b\$04\$[./A-Za-z0-9]{22}:\$2b\$05\$/);
    expect(wrapped.slice(15, 44)).toBe(cheap.replace('$2y$', '$2b$').slice(0, 29));
    expect(await passwords.verify('correct horse battery', wrapped)).toEqual({ ok: true, needsRehash: true });
    expect(await passwords.verify('wrong horse battery', wrapped)).toEqual({ ok: false, needsRehash: false });
    const wrappedLong = await wrapCheapHash(await bcrypt.hash('b'.repeat(72), 4), 5);
    expect(await passwords.verify('b'.repeat(72), wrappedLong)).toEqual({ ok: true, needsRehash: true });
    expect(await passwords.verify('b'.repeat(73), wrappedLong)).toEqual({ ok: false, needsRehash: false });

    // Hashes at the floor or not cheap are left as they are.
    const floor = BCRYPT_10;
    expect(await wrapCheapHash(floor, 5)).toBe(floor);
    const nine = await bcrypt.hash('x', 9);
    expect(await wrapCheapHash(nine, 5)).toMatch(/^wrapped-bcrypt:/);
    expect(await wrapCheapHash('$argon2id$v=19$x', 5)).toBe('$argon2id$v=19$x');
    // Only plain bcrypt is wrapped: a pre-hashed one (whatever its cost) is left alone.
    const prehashed = `bcrypt-hmac:${await bcrypt.hash('x', 4)}`;
    expect(await wrapCheapHash(prehashed, 5)).toBe(prehashed);
  });

  it('checks new passwords against the policy', async () => {
    const { passwords } = service();
    expect(await passwords.checkNew('correct horse battery')).toEqual({
      ok: true,
      password: 'correct horse battery',
    });
    expect(await passwords.checkNew('short')).toMatchObject({ ok: false });
    expect(await passwords.checkNew('jane.doe-rocks', { email: 'jane.doe@example.com' })).toMatchObject({
      ok: false,
    });
  });
});
