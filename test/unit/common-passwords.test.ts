import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import fxa from 'fxa-common-password-list';
import { commonPasswords, isCommonPassword } from '../../src/security/common-passwords.js';
import { checkPasswordPolicy } from '../../src/security/password-policy.js';

/** The Set must be the package's list exactly: every entry it holds, and no other. */
describe('common passwords (fxa-common-password-list, as a Set)', () => {
  it('holds as many entries as the package ships, each of which the package itself calls common', () => {
    const fromPackage = createRequire(createRequire(import.meta.url).resolve('fxa-common-password-list'));
    const lines = (fromPackage('./encoded-passwords') as string).split('\n').length;
    const set = commonPasswords();
    expect(set.size).toBeGreaterThan(40_000);
    expect(set.size).toBe(lines);
    const notInPackage = [...set].filter((password) => !fxa.test(password));
    expect(notInPackage).toEqual([]);
  });

  it('answers as the package does for passwords that are and are not on the list', () => {
    const candidates = [
      'password',
      '12345678',
      'qwertyuiop',
      'iloveyou1',
      'Password',
      'PASSWORD1',
      'correct horse battery staple',
      'kd8#Lw2!pq',
      '',
      ' password',
      'pässwörd',
    ];
    for (const candidate of candidates) expect(isCommonPassword(candidate)).toBe(fxa.test(candidate));
    expect(candidates.filter(isCommonPassword)).toEqual(['password', '12345678', 'qwertyuiop', 'iloveyou1']);
  });

  it('refuses a listed password typed in capitals, as before (the policy checks the lower-cased form too)', () => {
    expect(checkPasswordPolicy('QWERTYUIOP', 'bcrypt')).toEqual({
      ok: false,
      reasons: ['Password is too common.'],
    });
    expect(checkPasswordPolicy('kd8#Lw2!pq-unlisted', 'bcrypt').ok).toBe(true);
  });
});
