/** A top-level GraphQL error (not a result-union member): RATE_LIMITED, UNAUTHENTICATED, … */
export class PlintoError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Seconds to wait before retrying, for RATE_LIMITED. */
    readonly retryAfter: number | null = null,
    readonly status: number | null = null,
    /** The finer reason of a FORBIDDEN error (ROLE_REQUIRED, ADMIN_MFA_REQUIRED, SCOPE_REQUIRED, …). */
    readonly reason: string | null = null,
  ) {
    super(message);
    this.name = 'PlintoError';
  }
}
