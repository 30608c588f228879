/**
 * Errors that domain code (src/auth, src/security, src/storage, src/mail) throws for the
 * unexpected-but-known: input no flow can use, a saturated resource. They know nothing of GraphQL;
 * the resolvers' error middleware (src/resolvers/domain-errors.middleware.ts) turns each into its
 * stable top-level code. Expected outcomes are not errors: services return them as values.
 */
export abstract class DomainError extends Error {}

/** Input that no flow can use (an address that does not parse, an oversized password): BAD_USER_INPUT. */
export class InvalidInputError extends DomainError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

/** A bounded resource is full, or its caller left: SERVICE_UNAVAILABLE (retry shortly). */
export class ServiceBusyError extends DomainError {
  constructor(message = 'The service is temporarily unavailable; retry shortly.') {
    super(message);
    this.name = 'ServiceBusyError';
  }
}
