/**
 * Passkeys in the typed client: what navigator.credentials.create()/get() answer (a
 * PublicKeyCredential), or the JSON @simplewebauthn/browser's startRegistration/startAuthentication
 * return, turned into the JSON text finishPasskeyRegistration/finishPasskeySignIn take.
 */

/** The parts of a PublicKeyCredential this module reads (structural: no DOM types needed). */
export interface PublicKeyCredentialLike {
  id: string;
  rawId: ArrayBuffer;
  type: string;
  authenticatorAttachment?: string | null;
  response: {
    clientDataJSON: ArrayBuffer;
    attestationObject?: ArrayBuffer;
    authenticatorData?: ArrayBuffer;
    signature?: ArrayBuffer;
    userHandle?: ArrayBuffer | null;
    getTransports?: () => string[];
  };
  getClientExtensionResults?: () => unknown;
  toJSON?: () => unknown;
}

/** A browser's answer in any of the forms a page may hold it. */
export type PasskeyCredential = PublicKeyCredentialLike | Record<string, unknown> | string;

function base64url(buffer: ArrayBuffer | ArrayBufferView): string {
  const bytes =
    buffer instanceof ArrayBuffer
      ? new Uint8Array(buffer)
      : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function isCredential(value: PasskeyCredential): value is PublicKeyCredentialLike {
  return (
    typeof value === 'object' && value !== null && (value as { rawId?: unknown }).rawId instanceof ArrayBuffer
  );
}

/** The JSON text (WebAuthn's RegistrationResponseJSON / AuthenticationResponseJSON) of an answer. */
export function passkeyResponseJSON(credential: PasskeyCredential): string {
  if (typeof credential === 'string') return credential;
  if (!isCredential(credential)) return JSON.stringify(credential);
  if (typeof credential.toJSON === 'function') return JSON.stringify(credential.toJSON());
  const r = credential.response;
  const response: Record<string, unknown> = { clientDataJSON: base64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = base64url(r.attestationObject);
    response.transports = r.getTransports?.() ?? [];
  }
  if (r.authenticatorData) response.authenticatorData = base64url(r.authenticatorData);
  if (r.signature) response.signature = base64url(r.signature);
  if (r.userHandle) response.userHandle = base64url(r.userHandle);
  return JSON.stringify({
    id: credential.id,
    rawId: base64url(credential.rawId),
    type: credential.type,
    response,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults?.() ?? {},
  });
}
