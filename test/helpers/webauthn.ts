import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * A software WebAuthn authenticator made with Node's crypto: ES256 (P-256) keys, attestation
 * `none`, real assertion signatures over authenticatorData ‖ SHA-256(clientDataJSON). It plays the
 * browser too (clientDataJSON with the origin), so a test can lie about the origin or RP ID.
 */

// ---- a minimal CBOR encoder (what attestation objects and COSE keys need) ----
function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(length, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(length, 1);
  return b;
}

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;

export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  const parts: Buffer[] = [head(5, value.size)];
  for (const [k, v] of value) parts.push(cbor(k), cbor(v));
  return Buffer.concat(parts);
}

const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();
const b64url = (data: Uint8Array): string => Buffer.from(data).toString('base64url');

export interface SoftCredential {
  id: string;
  privateKey: KeyObject;
  coseKey: Buffer;
  counter: number;
  userHandle: string;
  rpId: string;
}

export interface CeremonyOverrides {
  /** clientDataJSON.origin (default: the authenticator's origin). */
  origin?: string;
  /** The RP ID whose hash goes into authenticatorData (default: the options' RP ID). */
  rpId?: string;
  /** Answer this challenge instead of the options' one. */
  challenge?: string;
}

export interface AssertionOverrides extends CeremonyOverrides {
  /** The signature counter to report (default: the credential's counter + 1; 0 keeps it at 0). */
  counter?: number;
  /** Sign with this key instead of the credential's own. */
  signWith?: KeyObject;
  /** User verified (default: the authenticator's setting). */
  userVerified?: boolean;
  /** The credential to use (default: the first one the options allow, else the newest). */
  credential?: SoftCredential;
}

export class SoftwareAuthenticator {
  readonly credentials: SoftCredential[] = [];

  constructor(
    readonly origin: string,
    readonly options: { userVerified?: boolean; backupEligible?: boolean; countsSignatures?: boolean } = {},
  ) {}

  private flags(userVerified: boolean, attested: boolean): number {
    let flags = 0x01; // UP
    if (userVerified) flags |= 0x04;
    if (this.options.backupEligible) flags |= 0x08 | 0x10;
    if (attested) flags |= 0x40;
    return flags;
  }

  private clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
  }

  /** The answer of navigator.credentials.create() to `optionsJson` (PublicKeyCredentialCreationOptionsJSON). */
  register(optionsJson: string, overrides: CeremonyOverrides = {}): string {
    const options = JSON.parse(optionsJson) as {
      challenge: string;
      rp: { id: string };
      user: { id: string };
    };
    const rpId = overrides.rpId ?? options.rp.id;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const coseKey = cbor(
      new Map<Cbor, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const credentialId = randomBytes(16);
    const counter = this.options.countsSignatures === false ? 0 : 1;
    const countBytes = Buffer.alloc(4);
    countBytes.writeUInt32BE(counter);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.flags(this.options.userVerified ?? true, true)]),
      countBytes,
      Buffer.alloc(16), // AAGUID: none
      idLength,
      credentialId,
      coseKey,
    ]);
    const attestationObject = cbor(
      new Map<Cbor, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    const clientDataJSON = this.clientData(
      'webauthn.create',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? this.origin,
    );
    const id = b64url(credentialId);
    this.credentials.push({ id, privateKey, coseKey, counter, userHandle: options.user.id, rpId });
    return JSON.stringify({
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    });
  }

  /** The answer of navigator.credentials.get() to `optionsJson` (PublicKeyCredentialRequestOptionsJSON). */
  assert(optionsJson: string, overrides: AssertionOverrides = {}): string {
    const options = JSON.parse(optionsJson) as {
      challenge: string;
      rpId: string;
      allowCredentials?: { id: string }[];
    };
    const allowed = options.allowCredentials?.map((c) => c.id) ?? [];
    const credential =
      overrides.credential ??
      this.credentials.find((c) => allowed.includes(c.id)) ??
      (allowed.length === 0 ? this.credentials.at(-1) : undefined);
    if (!credential) throw new Error('no credential of this authenticator is allowed');
    const counter =
      overrides.counter ?? (this.options.countsSignatures === false ? 0 : credential.counter + 1);
    if (overrides.counter === undefined) credential.counter = counter;
    const countBytes = Buffer.alloc(4);
    countBytes.writeUInt32BE(counter);
    const authenticatorData = Buffer.concat([
      sha256(overrides.rpId ?? options.rpId),
      Buffer.from([this.flags(overrides.userVerified ?? this.options.userVerified ?? true, false)]),
      countBytes,
    ]);
    const clientDataJSON = this.clientData(
      'webauthn.get',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? this.origin,
    );
    const signature = sign(
      'sha256',
      Buffer.concat([authenticatorData, sha256(clientDataJSON)]),
      overrides.signWith ?? credential.privateKey,
    );
    return JSON.stringify({
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    });
  }
}

/** A P-256 key of nobody's credential (a "signature by another key"). */
export function strangerKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}
