/** A sentence for what the browser's WebAuthn call threw (cancelled, timed out, unsupported). */
export function describePasskeyError(error: unknown): string {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'NotAllowedError' || name === 'AbortError') {
    return 'The passkey request was cancelled or timed out. Try again.';
  }
  if (name === 'InvalidStateError') return 'This device already has a passkey for your account.';
  if (name === 'NotSupportedError' || name === 'SecurityError') {
    return 'This browser or this address cannot use passkeys here.';
  }
  return 'The passkey did not work. Try again, or sign in another way.';
}

/** An error of the browser's WebAuthn call (not of the server): a DOMException or WebAuthnError. */
export function isBrowserPasskeyError(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return typeof name === 'string' && /Error$/.test(name) && name !== 'PlintoError' && name !== 'TypeError';
}
