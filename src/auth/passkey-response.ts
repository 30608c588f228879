import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

/** A browser's answer is a few kilobytes; anything far bigger is not worth parsing. */
export const MAX_PASSKEY_RESPONSE_LENGTH = 64 * 1024;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The JSON of a PublicKeyCredential (what @simplewebauthn/browser's startRegistration /
 * startAuthentication return), or null when it is not one: never throws on client input.
 */
export function parseCredentialJson<T extends RegistrationResponseJSON | AuthenticationResponseJSON>(
  text: string,
): T | null {
  if (text.length === 0 || text.length > MAX_PASSKEY_RESPONSE_LENGTH) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const credential = value as Record<string, unknown>;
  const response = credential.response as Record<string, unknown> | undefined;
  if (typeof credential.id !== 'string' || !BASE64URL.test(credential.id) || credential.id.length === 0) {
    return null;
  }
  if (credential.id.length > 1400) return null;
  if (typeof response !== 'object' || response === null) return null;
  if (typeof response.clientDataJSON !== 'string') return null;
  return value as T;
}

/** The challenge clientDataJSON names (what the authenticator signed over), or null. */
export function challengeOf(credential: { response: { clientDataJSON: string } }): string | null {
  try {
    const clientData = JSON.parse(
      Buffer.from(credential.response.clientDataJSON, 'base64url').toString('utf8'),
    ) as {
      challenge?: unknown;
    };
    return typeof clientData.challenge === 'string' ? clientData.challenge : null;
  } catch {
    return null;
  }
}

/** The WebAuthn user handle of a user: the 16 bytes of its UUID (no email, nothing personal). */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replaceAll('-', ''), 'hex'));
}
