import { GraphQLError } from 'graphql';

/** Stable top-level error codes (extensions.code). Expected outcomes are result-union data instead. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  RATE_LIMITED: 'RATE_LIMITED',
  STEP_UP_REQUIRED: 'STEP_UP_REQUIRED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes whose message is written for clients and may be shown as is. */
export const CLIENT_SAFE_CODES = new Set<string>([
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.RATE_LIMITED,
  ErrorCode.STEP_UP_REQUIRED,
  ErrorCode.SERVICE_UNAVAILABLE,
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

export class UnauthenticatedError extends GraphQLError {
  constructor(message = 'A valid access token is required.') {
    super(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 200 } } });
  }
}

/** Authenticated, but not allowed: a missing role or scope, or an admin session without a second factor. */
export class ForbiddenError extends GraphQLError {
  constructor(
    message: string,
    reason: 'ROLE_REQUIRED' | 'SCOPE_REQUIRED' | 'ADMIN_MFA_REQUIRED' | 'SESSION_REQUIRED',
  ) {
    super(message, { extensions: { code: ErrorCode.FORBIDDEN, reason } });
  }
}

export class BadUserInputError extends GraphQLError {
  constructor(message: string, field?: string) {
    super(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { field } : {}) } });
  }
}

export class ServiceUnavailableError extends GraphQLError {
  constructor(message = 'The service is temporarily unavailable; retry shortly.') {
    super(message, { extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } });
  }
}

/** A rate limit refused this field; retryAfter (seconds) is also sent as the HTTP Retry-After header. */
export class RateLimitedError extends GraphQLError {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many requests. Try again in ${retryAfterSeconds} seconds.`, {
      extensions: { code: ErrorCode.RATE_LIMITED, retryAfter: retryAfterSeconds },
    });
  }
}

/**
 * Step-up for the contract's mutations that answer a scalar or an object (beginTotpEnrollment,
 * disableTotp, signOutEverywhere): their types are the public contract's and stay as they are, so
 * a stale session is this top-level error, with the same code and limit as the `StepUpRequired`
 * union member that every union-typed sensitive mutation answers.
 */
export class StepUpRequiredError extends GraphQLError {
  constructor(readonly maxAgeSeconds: number) {
    super('Confirm it is you: sign in again (reauthenticate), then retry.', {
      extensions: { code: ErrorCode.STEP_UP_REQUIRED, maxAgeSeconds },
    });
  }
}
