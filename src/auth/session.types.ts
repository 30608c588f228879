import type { UserProfile } from './user.service.js';

export interface TokenPair {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

/** What a sign-in response shows of the session. */
export interface SessionView {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export interface SignedIn {
  user: UserProfile;
  session: SessionView;
  tokens: TokenPair;
}
