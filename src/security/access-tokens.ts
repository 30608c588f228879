import { randomUUID, sign } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { JWSHeaderParameters } from 'jose';
import type { SigningKeyStore } from './signing-keys.js';

/** The JWT `typ` of access tokens (RFC 9068): verification refuses any other JWT the keys might sign. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** A UUID in its canonical text form (any version), as the database stores user and session ids. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The most roles a token carries (the same bound as a user's roles). */
const MAX_ROLES_CLAIM = 16;

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
  amr: string[];
  /** `auth_time`: the last primary authentication of the session (sign-in), for step-up decisions. */
  authTime: Date;
  /**
   * The user's roles (claim `roles`, a JSON array of strings): for relying services. Validated at
   * assignment (src/auth/roles.ts: at most 16, each at most 32 characters), so the claim stays small.
   */
  roles: readonly string[];
}

export interface VerifiedAccessToken extends Omit<AccessTokenClaims, 'authTime'> {
  /** Null only for a token issued before `auth_time` was added (at most one token lifetime after upgrading). */
  authTime: Date | null;
  /** `jti`: unique per token, for audit and for relying services' replay or deny lists. */
  tokenId: string | null;
}

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
}

/** Clock skew allowed on `exp` and `nbf`, in seconds. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** The most verified tokens remembered (AccessTokenService.verified). */
const VERIFIED_LIMIT = 10_000;

interface VerifiedEntry {
  claims: VerifiedAccessToken;
  kid: string;
  /** The key that verified the signature: the token stays good only while its kid still gives this key. */
  key: CryptoKey;
  exp: number;
  nbf: number | undefined;
}

/** The encoded protected header per key id (the only part that varies is `kid`). */
const headers = new Map<string, string>();
function protectedHeader(kid: string): string {
  let encoded = headers.get(kid);
  if (encoded === undefined) {
    encoded = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid, typ: ACCESS_TOKEN_TYPE }), 'utf8').toString(
      'base64url',
    );
    headers.set(kid, encoded);
  }
  return encoded;
}

/** EdDSA JWT access tokens: signed with node:crypto, verified with jose. Verification pins the algorithm, `typ`, issuer and audience. */
export class AccessTokenService {
  constructor(
    private readonly keys: SigningKeyStore,
    private readonly issuer: string,
    private readonly audience: string,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * `jti` is random unless given: the refresh grace window signs the winner's token again from its
   * sealed `jti` and `now` (Ed25519 is deterministic, so the same claims give the same token).
   */
  async issue(
    claims: AccessTokenClaims,
    now = new Date(),
    jti: string = randomUUID(),
  ): Promise<IssuedAccessToken> {
    const key = await this.keys.signingKey();
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.ttlSeconds;
    // A compact JWS (RFC 7515) signed with node's synchronous Ed25519: a refresh signs one token,
    // and jose's SignJWT goes through WebCrypto's job queue (about 3x the CPU per signature, bench/).
    // Verification stays jose's jwtVerify, so every token issued here passes the same checks.
    const payload = {
      sid: claims.sessionId,
      amr: claims.amr,
      auth_time: Math.floor(claims.authTime.getTime() / 1000),
      roles: claims.roles.slice(0, MAX_ROLES_CLAIM),
      sub: claims.userId,
      iss: this.issuer,
      aud: this.audience,
      iat,
      exp,
      jti,
    };
    const input = `${protectedHeader(key.kid)}.${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}`;
    const signature = sign(null, Buffer.from(input, 'ascii'), key.signer!);
    const token = `${input}.${signature.toString('base64url')}`;
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /**
   * Tokens this instance has verified, by their exact text: a client sends the same access token
   * with every request for its 15 minutes, and verifying its signature again (jose, WebCrypto) was
   * the largest part of a warm `me` (issue 24, profile). Only a token that passed every check of
   * jwtVerify gets here; a later request with it is accepted only while its `exp`/`nbf` still hold
   * (the same arithmetic and tolerance as jose) and its key is still the published key of its
   * `kid` (a revoked or retired key stops its tokens exactly as without this map). Session
   * revocation is not the token's business: the liveness check runs on every request regardless.
   * Bounded: past VERIFIED_LIMIT entries the oldest goes (it is only verified again).
   */
  private readonly verified = new Map<string, VerifiedEntry>();

  /** The claims of a valid token, or null: tampered, expired, wrong audience or `typ`, unknown or revoked key, `alg: none`… */
  private readonly resolveKey = async (header: JWSHeaderParameters): Promise<CryptoKey> => {
    if (header.alg !== 'EdDSA' || typeof header.kid !== 'string') throw new joseErrors.JWKSNoMatchingKey();
    const key = await this.keys.verificationKey(header.kid);
    if (!key) throw new joseErrors.JWKSNoMatchingKey();
    return key;
  };

  private async verifiedBefore(token: string): Promise<VerifiedAccessToken | null> {
    const entry = this.verified.get(token);
    if (!entry) return null;
    const now = Math.floor(Date.now() / 1000);
    const timely =
      entry.exp > now - CLOCK_TOLERANCE_SECONDS &&
      (entry.nbf === undefined || entry.nbf <= now + CLOCK_TOLERANCE_SECONDS);
    // The key is asked for as jwtVerify would (a stale key set is re-read first).
    if (timely && (await this.keys.verificationKey(entry.kid)) === entry.key) return entry.claims;
    this.verified.delete(token);
    return null;
  }

  private remember(token: string, entry: VerifiedEntry): void {
    if (this.verified.size >= VERIFIED_LIMIT) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(token, entry);
  }

  async verify(token: string): Promise<VerifiedAccessToken | null> {
    const known = await this.verifiedBefore(token);
    if (known) return known;
    try {
      let usedKey: CryptoKey | null = null;
      // The key is chosen by the protected header's `kid` inside jwtVerify (its key-resolver form),
      // after jose has parsed the header and checked `alg` against the allow-list: the token is
      // decoded once, not once here and again in jwtVerify (issue 24, profile). No key: no token.
      const { payload, protectedHeader } = await jwtVerify(
        token,
        async (header: JWSHeaderParameters) => (usedKey = await this.resolveKey(header)),
        {
          algorithms: ['EdDSA'],
          // Another JWT signed with the same key (a future ID token, a hand-made `typ: JWT`) is no access token.
          typ: ACCESS_TOKEN_TYPE,
          issuer: this.issuer,
          audience: this.audience,
          requiredClaims: ['sub', 'sid', 'exp', 'iat'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        },
      );
      // Users and sessions are keyed by UUIDs: any other `sub` or `sid` names nothing, and would
      // otherwise reach the database as a malformed uuid (a driver error, not a refusal).
      if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) return null;
      if (typeof payload.sid !== 'string' || !UUID.test(payload.sid)) return null;
      const amr = Array.isArray(payload.amr)
        ? payload.amr.filter((m): m is string => typeof m === 'string')
        : [];
      const roles = Array.isArray(payload.roles)
        ? payload.roles.filter((r): r is string => typeof r === 'string').slice(0, MAX_ROLES_CLAIM)
        : [];
      const authTime = typeof payload.auth_time === 'number' ? new Date(payload.auth_time * 1000) : null;
      const tokenId = typeof payload.jti === 'string' ? payload.jti : null;
      const claims: VerifiedAccessToken = Object.freeze({
        userId: payload.sub,
        sessionId: payload.sid,
        amr: Object.freeze(amr) as string[],
        authTime,
        tokenId,
        roles: Object.freeze(roles),
      });
      if (usedKey && typeof protectedHeader.kid === 'string' && typeof payload.exp === 'number') {
        this.remember(token, {
          claims,
          kid: protectedHeader.kid,
          key: usedKey,
          exp: payload.exp,
          nbf: payload.nbf,
        });
      }
      return claims;
    } catch (error) {
      if (
        error instanceof joseErrors.JOSEError ||
        error instanceof TypeError ||
        error instanceof SyntaxError
      ) {
        return null;
      }
      throw error;
    }
  }
}
