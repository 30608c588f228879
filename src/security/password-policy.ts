import commonPasswords from 'fxa-common-password-list';

export const MAX_PASSWORD_INPUT_BYTES = 1024;
export const BCRYPT_MAX_BYTES = 72;
export const MIN_PASSWORD_CHARACTERS = 8;

export type PasswordCheck = { ok: true; password: string } | { ok: false; reasons: string[] };

/** NFKC so that the same password typed on different keyboards/IMEs hashes the same (NIST SP 800-63B 5.1.1.2). */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

export function checkPasswordPolicy(raw: string, scheme: 'bcrypt' | 'argon2id'): PasswordCheck {
  if (Buffer.byteLength(raw, 'utf8') > MAX_PASSWORD_INPUT_BYTES) {
    return { ok: false, reasons: [`Password is longer than ${MAX_PASSWORD_INPUT_BYTES} bytes.`] };
  }
  const password = normalisePassword(raw);
  const reasons: string[] = [];
  if ([...password].length < MIN_PASSWORD_CHARACTERS) {
    reasons.push(`Password must have at least ${MIN_PASSWORD_CHARACTERS} characters.`);
  }
  // bcrypt silently ignores bytes after the 72nd; refusing is honest, truncating is not.
  if (scheme === 'bcrypt' && Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES) {
    reasons.push(`Password is too long for bcrypt: at most ${BCRYPT_MAX_BYTES} bytes (UTF-8).`);
  }
  if (commonPasswords.test(password) || commonPasswords.test(password.toLowerCase())) {
    reasons.push('Password is too common.');
  }
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, password };
}
