import { InvalidInputError } from '../domain-errors.js';

/** Email identity: NFKC, trimmed, lower-cased, so that visually equal addresses are one account. */
export function normaliseEmail(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

const EMAIL_SHAPE = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:]+$/u;

/** A normalised address that mail can be sent to, or null. Deliberately simple: the mail proves the rest. */
export function parseEmail(raw: string): string | null {
  if (raw.length > 1000) return null;
  const email = normaliseEmail(raw);
  if (email.length > 254 || !EMAIL_SHAPE.test(email)) return null;
  // Control and invisible format characters have no place in an address.
  if (/[\p{Cc}\p{Cf}]/u.test(email)) return null;
  return email;
}

/** parseEmail for flows that cannot go on without an address: the one "not an address" error. */
export function requireEmail(raw: string): string {
  const email = parseEmail(raw);
  if (!email) throw new InvalidInputError('Enter a valid email address.', 'email');
  return email;
}
