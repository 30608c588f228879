import { isCommonPassword } from './common-passwords.js';

export const MAX_PASSWORD_INPUT_BYTES = 1024;
export const BCRYPT_MAX_BYTES = 72;
export const MIN_PASSWORD_CHARACTERS = 8;

/** The product's name: a password built on it is among the first an attacker tries here. */
export const PRODUCT_NAME = 'plinto';
/** An email's name part shorter than this ("al", "bob") is too common a string to refuse. */
export const MIN_CONTAINED_LOCAL_PART = 4;

/** What a password is checked against besides itself. */
export interface PasswordContext {
  /** The account's address: the password must not contain it or its name part. */
  email?: string;
}

export type PasswordCheck = { ok: true; password: string } | { ok: false; reasons: string[] };

/** NFKC so that the same password typed on different keyboards/IMEs hashes the same (NIST SP 800-63B 5.1.1.2). */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * The synchronous rules (length, common passwords, contains the address or the product name).
 * Under bcrypt a password over 72 bytes is accepted: PasswordService pre-hashes it, so no byte
 * is ignored (the scheme stays a parameter for callers that state it).
 */
export function checkPasswordPolicy(
  raw: string,
  _scheme: 'bcrypt' | 'argon2id',
  context: PasswordContext = {},
): PasswordCheck {
  if (Buffer.byteLength(raw, 'utf8') > MAX_PASSWORD_INPUT_BYTES) {
    return { ok: false, reasons: [`Password is longer than ${MAX_PASSWORD_INPUT_BYTES} bytes.`] };
  }
  const password = normalisePassword(raw);
  const reasons: string[] = [];
  if ([...password].length < MIN_PASSWORD_CHARACTERS) {
    reasons.push(`Password must have at least ${MIN_PASSWORD_CHARACTERS} characters.`);
  }
  const lower = password.toLowerCase();
  if (context.email && containsEmail(lower, context.email)) {
    reasons.push('Password must not contain your email address or its name part.');
  }
  if (lower.includes(PRODUCT_NAME)) reasons.push('Password must not contain the name of this service.');
  if (isCommonPassword(password) || isCommonPassword(lower)) {
    reasons.push('Password is too common.');
  }
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, password };
}

function containsEmail(lowerPassword: string, email: string): boolean {
  const address = normalisePassword(email).trim().toLowerCase();
  const at = address.lastIndexOf('@');
  const local = at > 0 ? address.slice(0, at) : address;
  // "jane.doe+shop" also counts as "jane.doe".
  const candidates = [address, local, local.split('+')[0]!];
  return candidates.some(
    (candidate) => [...candidate].length >= MIN_CONTAINED_LOCAL_PART && lowerPassword.includes(candidate),
  );
}
