import type { IssuedChallenge } from '../auth/sign-in/complete-sign-in.js';
import type { SessionView, SignedIn } from '../auth/session.service.js';
import type { Context } from '../context.js';
import { AuthTokensType } from '../schema/auth-tokens.type.js';
import { MfaChallenge, SignInSuccess } from '../schema/payloads.type.js';
import { SessionType } from '../schema/session.type.js';
import { UserType } from '../schema/user.type.js';
import type { UserProfile } from '../auth/user.service.js';

export const REFRESH_COOKIE = 'plinto_refresh';

export function toUser(user: UserProfile): UserType {
  return Object.assign(new UserType(), {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    mfaEnabled: user.totpEnabledAt !== null,
    createdAt: user.createdAt,
  });
}

export function toSession(session: SessionView, currentSessionId: string | null): SessionType {
  return Object.assign(new SessionType(), {
    id: session.id,
    createdAt: session.createdAt,
    lastUsedAt: session.lastUsedAt,
    expiresAt: session.expiresAt,
    ip: session.ip,
    userAgent: session.userAgent,
    current: session.id === currentSessionId,
  });
}

/**
 * Browsers that ask for it get the refresh token as an HttpOnly, Secure, SameSite=Strict cookie
 * scoped to /graphql: script on the page (XSS) can never read it. Mobile clients get it in the payload.
 */
export function toSignInSuccess(signedIn: SignedIn, context: Context): SignInSuccess {
  const { tokens } = signedIn;
  let refreshToken: string | null = tokens.refreshToken;
  if (context.cookieTransport) {
    context.res.cookie(REFRESH_COOKIE, tokens.refreshToken, {
      httpOnly: true,
      secure: true,
      sameSite: 'strict',
      path: '/graphql',
      expires: tokens.refreshTokenExpiresAt,
    });
    refreshToken = null;
  }
  return Object.assign(new SignInSuccess(), {
    user: toUser(signedIn.user),
    session: toSession(signedIn.session, signedIn.session.id),
    tokens: Object.assign(new AuthTokensType(), {
      accessToken: tokens.accessToken,
      accessTokenExpiresAt: tokens.accessTokenExpiresAt,
      refreshToken,
      refreshTokenExpiresAt: tokens.refreshTokenExpiresAt,
      tokenType: 'Bearer',
    }),
  });
}

export function clearRefreshCookie(context: Context): void {
  if (context.req.cookies?.[REFRESH_COOKIE] !== undefined) {
    context.res.clearCookie(REFRESH_COOKIE, {
      httpOnly: true,
      secure: true,
      sameSite: 'strict',
      path: '/graphql',
    });
  }
}

export function toMfaChallenge(challenge: IssuedChallenge): MfaChallenge {
  return Object.assign(new MfaChallenge(), {
    challengeToken: challenge.challengeToken,
    expiresAt: challenge.expiresAt,
  });
}
