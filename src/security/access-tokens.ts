import { SignJWT, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { SigningKeyStore } from './signing-keys.js';

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
  amr: string[];
}

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
}

/** EdDSA JWT access tokens (jose). Verification pins the algorithm, issuer and audience. */
export class AccessTokenService {
  constructor(
    private readonly keys: SigningKeyStore,
    private readonly issuer: string,
    private readonly audience: string,
    private readonly ttlSeconds: number,
  ) {}

  async issue(claims: AccessTokenClaims, now = new Date()): Promise<IssuedAccessToken> {
    const key = await this.keys.signingKey();
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.ttlSeconds;
    const token = await new SignJWT({ sid: claims.sessionId, amr: claims.amr })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
      .setSubject(claims.userId)
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(key.privateKey!);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** The claims of a valid token, or null: tampered, expired, wrong audience, unknown key, `alg: none`… */
  async verify(token: string): Promise<AccessTokenClaims | null> {
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== 'EdDSA' || typeof header.kid !== 'string') return null;
      const key = await this.keys.verificationKey(header.kid);
      if (!key) return null;
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['EdDSA'],
        issuer: this.issuer,
        audience: this.audience,
        requiredClaims: ['sub', 'sid', 'exp', 'iat'],
        clockTolerance: 5,
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') return null;
      const amr = Array.isArray(payload.amr)
        ? payload.amr.filter((m): m is string => typeof m === 'string')
        : [];
      return { userId: payload.sub, sessionId: payload.sid, amr };
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
