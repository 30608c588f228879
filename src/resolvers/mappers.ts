import type { CompletedSignIn, IssuedChallenge } from '../auth/sign-in/complete-sign-in.js';
import type { SessionView, SignedIn } from '../auth/session.service.js';
import type { Context } from '../context.js';
import { AuthTokensType } from '../schema/auth-tokens.type.js';
import { MfaChallenge, SignInSuccess } from '../schema/payloads.type.js';
import { EmailNotVerified } from '../schema/user-error.type.js';
import { SessionType } from '../schema/session.type.js';
import { UserType } from '../schema/user.type.js';
import type { UserProfile } from '../auth/user.service.js';
import { LEGACY_REFRESH_COOKIE } from '../config.js';

export function toUser(user: UserProfile): UserType {
  return Object.assign(new UserType(), {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    mfaEnabled: user.totpEnabledAt !== null,
    createdAt: user.createdAt,
    roles: user.roles,
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

const COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: 'strict', path: '/graphql' } as const;

/**
 * The refresh token the browser's cookie carries: the current name first, then the pre-0.2 name
 * (`plinto_refresh`, still read for one release so that signed-in browsers stay signed in).
 */
export function refreshTokenFromCookie(context: Context): string | undefined {
  const cookies = context.req.cookies as Record<string, string | undefined> | undefined;
  const value = cookies?.[context.refreshCookieName] || cookies?.[LEGACY_REFRESH_COOKIE];
  return value || undefined;
}

/**
 * Browsers that ask for it get the refresh token as an HttpOnly, Secure, SameSite=Strict cookie
 * scoped to /graphql: script on the page (XSS) can never read it. Mobile clients get it in the payload.
 * `fromCookie`: the presented token came from the cookie, so the new one goes back only there,
 * whatever the headers say; otherwise a script could trade the unreadable cookie for a readable token.
 */
export function toSignInSuccess(signedIn: SignedIn, context: Context, fromCookie = false): SignInSuccess {
  const { tokens } = signedIn;
  let refreshToken: string | null = tokens.refreshToken;
  if (context.cookieTransport || fromCookie) {
    context.res.cookie(context.refreshCookieName, tokens.refreshToken, {
      ...COOKIE_OPTIONS,
      expires: tokens.refreshTokenExpiresAt,
    });
    // A browser still holding the pre-0.2 cookie moves to the new name: the old one goes.
    if (context.refreshCookieName !== LEGACY_REFRESH_COOKIE && hasCookie(context, LEGACY_REFRESH_COOKIE)) {
      context.res.clearCookie(LEGACY_REFRESH_COOKIE, COOKIE_OPTIONS);
    }
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
  for (const name of new Set([context.refreshCookieName, LEGACY_REFRESH_COOKIE])) {
    if (hasCookie(context, name)) context.res.clearCookie(name, COOKIE_OPTIONS);
  }
}

function hasCookie(context: Context, name: string): boolean {
  return (context.req.cookies as Record<string, unknown> | undefined)?.[name] !== undefined;
}

export function toMfaChallenge(challenge: IssuedChallenge): MfaChallenge {
  return Object.assign(new MfaChallenge(), {
    challengeToken: challenge.challengeToken,
    expiresAt: challenge.expiresAt,
  });
}

/**
 * What the completion step decided, as the SignInResult union, for every sign-in method. A disabled
 * account gets `refused()`: the method's own refusal (wrong password, refused passkey, bad token),
 * so a client learns nothing the audit event (`account-disabled`) does not keep to itself.
 */
export function toCompletedSignIn<Refused>(
  outcome: CompletedSignIn,
  context: Context,
  refused: () => Refused,
): SignInSuccess | MfaChallenge | EmailNotVerified | Refused {
  switch (outcome.kind) {
    case 'signed-in':
      return toSignInSuccess(outcome.signedIn, context);
    case 'mfa-required':
      return toMfaChallenge(outcome.challenge);
    case 'email-not-verified':
      return new EmailNotVerified();
    case 'account-disabled':
      return refused();
  }
}
