/** Absolute and idle bounds of a session (SECURITY.md, "Session lifetime"). */
export interface SessionLifetimes {
  refreshTokenTtlSeconds: number;
  sessionMaxLifetimeSeconds: number;
  mfaSessionMaxLifetimeSeconds: number;
  mfaSessionIdleTimeoutSeconds: number;
}

/** A session made with a second factor (RFC 8176 `mfa`) gets the AAL2 bounds. */
export function isSecondFactorSession(amr: readonly string[]): boolean {
  return amr.includes('mfa');
}

/** The absolute end of a session signed in at `createdAt`: no refresh moves it. */
export function absoluteEnd(lifetimes: SessionLifetimes, createdAt: Date, amr: readonly string[]): Date {
  const max = isSecondFactorSession(amr)
    ? Math.min(lifetimes.mfaSessionMaxLifetimeSeconds, lifetimes.sessionMaxLifetimeSeconds)
    : lifetimes.sessionMaxLifetimeSeconds;
  return new Date(createdAt.getTime() + max * 1000);
}

/**
 * When the session (and the refresh token issued `now`) expires: the refresh-token lifetime, cut to
 * the absolute end and, for a second-factor session, to the idle timeout from now.
 */
export function sessionExpiry(
  lifetimes: SessionLifetimes,
  createdAt: Date,
  amr: readonly string[],
  now: Date,
): Date {
  let end = Math.min(
    now.getTime() + lifetimes.refreshTokenTtlSeconds * 1000,
    absoluteEnd(lifetimes, createdAt, amr).getTime(),
  );
  if (isSecondFactorSession(amr))
    end = Math.min(end, now.getTime() + lifetimes.mfaSessionIdleTimeoutSeconds * 1000);
  return new Date(end);
}
