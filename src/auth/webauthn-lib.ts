/**
 * @simplewebauthn/server, loaded at the first passkey ceremony rather than at start-up: it pulls in
 * its CBOR, ASN.1 and certificate code (about 300 modules, some 10 MB of resident memory), which a
 * server whose users never touch a passkey would carry for nothing (issue 24: RSS). The import is
 * shared, so concurrent first ceremonies load it once.
 */
import type * as SimpleWebAuthn from '@simplewebauthn/server';

type WebAuthnLib = typeof SimpleWebAuthn;

let loading: Promise<WebAuthnLib> | null = null;

export function webauthnLib(): Promise<WebAuthnLib> {
  loading ??= import('@simplewebauthn/server').catch((error: unknown) => {
    loading = null; // a failed load is tried again on the next ceremony
    throw error;
  });
  return loading;
}
