/** A top-level GraphQL error (not a result-union member): RATE_LIMITED, UNAUTHENTICATED, … */
export class PlintoError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Seconds to wait before retrying, for RATE_LIMITED. */
    readonly retryAfter: number | null = null,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'PlintoError';
  }
}
