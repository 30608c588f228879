import { describe, expect, it } from 'vitest';
import {
  KeyedHash,
  REDIS_EMAIL_KEY_LABEL,
  safeEqual,
  SealedValueError,
  SecretBox,
  sha256Hex,
} from '../../src/security/crypto.js';
import { checkPasswordPolicy, MAX_PASSWORD_INPUT_BYTES } from '../../src/security/password-policy.js';
import { normaliseTotpCode, Totp } from '../../src/security/totp.js';

/**
 * The edges of the security primitives that mutation testing (npm run mutation) showed no test
 * pinned: stored derivations, boundaries and the exact refusals.
 */
const SECRET = 'vector-secret-current-0123456789abcdef';

describe('derivations that stored data depends on', () => {
  // Computed once with this code and kept: a change to an HKDF label, salt or encoding would make
  // every stored keyed hash (recovery codes, Redis email keys) and sealed value unreadable.
  it('keeps the keyed-hash, recovery-code MAC and sealing keys of earlier releases', () => {
    expect(new KeyedHash(SECRET, REDIS_EMAIL_KEY_LABEL).hex('alice@example.com')).toBe(
      'c7765004766b8ecdcb8371392736eb6d7ccb47977ac76327f1cc7653c6137efd',
    );
    expect(new SecretBox(SECRET).mac('recovery-code', 'user-1:abcdefghijkm')).toBe(
      'b391d2084e64cb529a3e805730b9638dd326a2d9395f3bf126a84d75acf2f5dc',
    );
    expect(
      new SecretBox(SECRET).open(
        'totp-secret',
        'v1.dja85txgyZIPlCHu.qlF6_2p-ijFyiVGUQ4EN7g.tlQ2WXoim2gArE_GAnaokA',
      ),
    ).toBe('JBSWY3DPEHPK3PXP');
  });

  it('hashes tokens as SHA-256 of their UTF-8 bytes', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });
});

describe('safeEqual', () => {
  it('is true only for the same bytes, whatever the lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('abcd', 'abc')).toBe(false);
    // Same character count, different byte count.
    expect(safeEqual('é', 'e')).toBe(false);
  });
});

describe('SecretBox, malformed and rotated values', () => {
  const box = new SecretBox(SECRET);

  it('refuses a value with a missing part or another version with SealedValueError naming the purpose', () => {
    const [, iv, body, tag] = box.seal('grace-pair', 'payload').split('.');
    for (const malformed of [
      `v2.${iv}.${body}.${tag}`,
      `v1.${iv}.${body}`,
      `v1..${body}.${tag}`,
      `v1.${iv}.${body}.`,
      'v1',
      '',
    ]) {
      let thrown: unknown;
      try {
        box.open('grace-pair', malformed);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, malformed).toBeInstanceOf(SealedValueError);
      expect((thrown as SealedValueError).purpose).toBe('grace-pair');
      expect((thrown as SealedValueError).name).toBe('SealedValueError');
      expect((thrown as Error).message).toBe(
        'a sealed grace-pair value cannot be opened with AUTH_SECRET (or AUTH_SECRET_PREVIOUS)',
      );
    }
  });

  it('opens a sealed empty string (an empty body is not a missing one)', () => {
    const sealed = box.seal('mail-payload', '');
    expect(sealed.split('.')[2]).toBe('');
    expect(box.open('mail-payload', sealed)).toBe('');
  });

  it('says which secret opened a value, and lists MAC candidates current first', () => {
    const old = new SecretBox('vector-secret-previous-0123456789abcdef');
    const rotating = new SecretBox(SECRET, 'vector-secret-previous-0123456789abcdef');
    expect(box.hasPrevious).toBe(false);
    expect(rotating.hasPrevious).toBe(true);
    expect(rotating.openDetailed('totp-secret', old.seal('totp-secret', 'x'))).toEqual({
      plaintext: 'x',
      sealedWith: 'previous',
    });
    expect(rotating.openDetailed('totp-secret', box.seal('totp-secret', 'y'))).toEqual({
      plaintext: 'y',
      sealedWith: 'current',
    });
    expect(box.macCandidates('recovery-code', 'v')).toEqual([box.mac('recovery-code', 'v')]);
    expect(rotating.macCandidates('recovery-code', 'v')).toEqual([
      box.mac('recovery-code', 'v'),
      old.mac('recovery-code', 'v'),
    ]);
    expect(rotating.mac('recovery-code', 'v')).toBe(box.mac('recovery-code', 'v'));
    // Repeated use of a purpose's cached key gives the same results.
    expect(box.open('totp-secret', box.seal('totp-secret', 'again'))).toBe('again');
    expect(box.mac('recovery-code', 'v')).toBe(box.mac('recovery-code', 'v'));
  });
});

describe('password policy boundaries', () => {
  const accepted = (password: string, scheme: 'bcrypt' | 'argon2id' = 'argon2id') =>
    checkPasswordPolicy(password, scheme);

  it('accepts exactly 1 KiB of input and refuses one byte more, with the limit in the reason', () => {
    const kib = 'Zq9'.repeat(341) + 'x'; // 1,024 ASCII bytes
    expect(Buffer.byteLength(kib)).toBe(MAX_PASSWORD_INPUT_BYTES);
    expect(accepted(kib)).toEqual({ ok: true, password: kib });
    expect(accepted(`${kib}y`)).toEqual({ ok: false, reasons: ['Password is longer than 1024 bytes.'] });
    // Counted in bytes: 513 two-byte characters are 1,026 bytes.
    expect(accepted('é'.repeat(513)).ok).toBe(false);
  });

  it('needs 8 characters, counted as code points', () => {
    expect(accepted('Zq9#xW2')).toEqual({
      ok: false,
      reasons: ['Password must have at least 8 characters.'],
    });
    expect(accepted('Zq9#xW2!')).toEqual({ ok: true, password: 'Zq9#xW2!' });
    // Four emoji are eight UTF-16 units but four characters.
    expect(accepted('😀😁😂🤣').ok).toBe(false);
  });

  it('accepts more than 72 bytes under bcrypt (pre-hashed), and names the input limit in its reason', () => {
    expect(accepted('Zq9#'.repeat(18) + 'x', 'bcrypt').ok).toBe(true);
    expect(accepted('Zq9#'.repeat(18), 'bcrypt').ok).toBe(true);
    expect(accepted('Zq9#'.repeat(256) + 'x', 'bcrypt')).toEqual({
      ok: false,
      reasons: [`Password is longer than ${MAX_PASSWORD_INPUT_BYTES} bytes.`],
    });
  });

  it('refuses a common password in any case', () => {
    for (const common of ['password1', 'PASSWORD1', 'Password1', 'sunshine', 'SunShine']) {
      expect(accepted(common), common).toEqual({ ok: false, reasons: ['Password is too common.'] });
    }
  });
});

describe('TOTP code input', () => {
  it('takes the spaces out and accepts exactly six digits', () => {
    expect(normaliseTotpCode('123 456')).toBe('123456');
    expect(normaliseTotpCode(' 12 34\t56 ')).toBe('123456');
    for (const bad of ['1234567', '12345', 'a123456', '123456a', '12345a', '']) {
      expect(normaliseTotpCode(bad), bad).toBeNull();
    }
  });

  it('makes 160-bit secrets and refuses a code that is not six digits before checking it', () => {
    const totp = new Totp('Plinto');
    const secret = totp.newSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(totp.newSecret()).not.toBe(secret);
    expect(totp.uri('JBSWY3DPEHPK3PXP', 'a@b.c')).toBe(
      'otpauth://totp/Plinto:a%40b.c?secret=JBSWY3DPEHPK3PXP&issuer=Plinto',
    );
    expect(totp.matchStep(secret, 'abcdef', null)).toBeNull();
    expect(totp.matchStep(secret, '000000 0', null)).toBeNull();
  });
});
