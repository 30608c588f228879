/** The server's code for a missing, expired or revoked access token (a top-level GraphQL error). */
export const UNAUTHENTICATED = 'UNAUTHENTICATED';

interface ErrorLike {
  extensions?: Readonly<Record<string, unknown>> | null;
}

/** True when one of the GraphQL errors of a response is UNAUTHENTICATED. */
export function hasUnauthenticated(errors: ReadonlyArray<ErrorLike> | null | undefined): boolean {
  return (errors ?? []).some((error) => error.extensions?.code === UNAUTHENTICATED);
}

/** The bearer token an Authorization header carries, or null. */
export function bearerToken(authorization: unknown): string | null {
  if (typeof authorization !== 'string' || !authorization.startsWith('Bearer ')) return null;
  return authorization.slice('Bearer '.length);
}
