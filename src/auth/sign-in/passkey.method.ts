import type { EntityManager } from '@mikro-orm/core';
import { webauthnLib } from '../webauthn-lib.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { WebAuthnConfig } from '../../config/webauthn-config.js';
import type { KeyedHash } from '../../security/crypto.js';
import { Passkey, User } from '../../storage/entities/index.js';
import type { ClientInfo } from '../client-info.js';
import type { PasskeyChallenges } from '../passkey-challenges.js';
import { challengeOf, parseCredentialJson, userHandleOf } from '../passkey-response.js';
import type { SignInMethod, SignInProof } from './sign-in-method.js';

export type PasskeyRefusal =
  | { kind: 'invalid-credentials'; audit?: 'failure'; accountId: string | null }
  | { kind: 'clone-detected'; audit: 'rejected'; accountId: string; passkeyId: string };

/**
 * The amr of a passkey sign-in (RFC 8176): `hwk` (a key in an authenticator), or `swk` for a
 * synced passkey (backup eligible: the private key also lives in a cloud keychain). With user
 * verification (PIN, biometrics) also `user` and `mfa`: possession plus the authenticator's own
 * check of the user are two factors, so no TOTP code follows.
 */
export function passkeyAmr(backupEligible: boolean, userVerified: boolean): string[] {
  const key = backupEligible ? 'swk' : 'hwk';
  return userVerified ? [key, 'user', 'mfa'] : [key];
}

/**
 * The answer of navigator.credentials.get() to a challenge from beginPasskeySignIn. Proves `hwk`
 * (or `swk`), plus `user mfa` when the authenticator verified the user. Refuses an unknown
 * credential, a used, expired or foreign challenge, a credential of another account than the
 * address the challenge named, a wrong origin or RP ID, a bad signature, and a signature counter
 * that did not move forward (a cloned authenticator: `clone-detected`).
 */
export class PasskeyMethod implements SignInMethod<string, PasskeyRefusal> {
  readonly name = 'passkey';
  readonly auditKind = 'passkey_sign_in' as const;

  constructor(
    private readonly webauthn: WebAuthnConfig,
    private readonly challenges: PasskeyChallenges,
    private readonly challengeEmailHash: KeyedHash,
  ) {}

  async prove(
    em: EntityManager,
    responseJson: string,
    _client: ClientInfo,
  ): Promise<SignInProof | PasskeyRefusal> {
    const response = parseCredentialJson<AuthenticationResponseJSON>(responseJson);
    const challenge = response ? challengeOf(response) : null;
    if (!response || !challenge) return { kind: 'invalid-credentials', accountId: null };
    const passkey = await em.findOne(Passkey, { credentialId: response.id }, { disableIdentityMap: true });
    // Used up whatever follows: one challenge, one attempt.
    const binding = await this.challenges.consume(em, challenge, 'sign-in');
    const refusal = {
      kind: 'invalid-credentials',
      audit: 'failure',
      accountId: passkey?.user.id ?? null,
    } as const;
    if (!passkey || !binding) return refusal;
    const user = await em.findOneOrFail(User, { id: passkey.user.id }, { disableIdentityMap: true });
    // A challenge for a named address is answered by that account's passkey only.
    if (binding.emailHash !== null && binding.emailHash !== this.challengeEmailHash.hex(user.email))
      return refusal;
    const userHandle = response.response.userHandle;
    if (userHandle && userHandle !== Buffer.from(userHandleOf(user.id)).toString('base64url')) return refusal;

    const { verifyAuthenticationResponse } = await webauthnLib(); // a load failure is not a refusal
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: [...this.webauthn.origins],
        expectedRPID: this.webauthn.rpId,
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
          // The counter is checked below, after the signature: only a genuine signature says "clone".
          counter: 0,
        },
        requireUserVerification: false,
      });
    } catch {
      return refusal;
    }
    if (!verified.verified) return refusal;
    const info = verified.authenticationInfo;
    const stored = passkey.signCount;
    if ((info.newCounter > 0 || stored > 0) && info.newCounter <= stored) {
      return { kind: 'clone-detected', audit: 'rejected', accountId: user.id, passkeyId: passkey.id };
    }
    // Conditional on the counter read: of two answers racing with the same counter, one wins.
    const updated = await em.nativeUpdate(
      Passkey,
      { id: passkey.id, signCount: stored },
      { signCount: info.newCounter, backedUp: info.credentialBackedUp, lastUsedAt: new Date() },
    );
    if (updated !== 1) return refusal;
    return {
      kind: 'proven',
      userId: user.id,
      amr: passkeyAmr(passkey.backupEligible, info.userVerified),
      user,
    };
  }
}
