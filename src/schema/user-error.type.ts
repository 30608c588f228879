import { Field, InterfaceType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum UserErrorCode {
  INVALID_CREDENTIALS = 'INVALID_CREDENTIALS',
  TOO_MANY_ATTEMPTS = 'TOO_MANY_ATTEMPTS',
  PASSWORD_REJECTED = 'PASSWORD_REJECTED',
  INVALID_TOKEN = 'INVALID_TOKEN',
  INVALID_MFA_CODE = 'INVALID_MFA_CODE',
  EMAIL_NOT_VERIFIED = 'EMAIL_NOT_VERIFIED',
  EMAIL_TAKEN = 'EMAIL_TAKEN',
  STEP_UP_REQUIRED = 'STEP_UP_REQUIRED',
  // Passkeys (issue 19)
  INVALID_PASSKEY_RESPONSE = 'INVALID_PASSKEY_RESPONSE',
  PASSKEY_NOT_FOUND = 'PASSKEY_NOT_FOUND',
  IDENTITY_LINK_REQUIRED = 'IDENTITY_LINK_REQUIRED',
  LAST_SIGN_IN_METHOD = 'LAST_SIGN_IN_METHOD',
  NOT_FOUND = 'NOT_FOUND',
  IDENTITY_IN_USE = 'IDENTITY_IN_USE',
}

registerEnumType(UserErrorCode, { name: 'UserErrorCode' });

/** Every expected failure of a flow: data in the result union, never a top-level error. */
@InterfaceType('UserError')
export abstract class UserError {
  @Field(() => UserErrorCode)
  code!: UserErrorCode;

  @Field(() => String)
  message!: string;
}

@ObjectType('InvalidCredentials', { implements: UserError })
export class InvalidCredentials extends UserError {
  constructor(message = 'The email or password is incorrect.') {
    super();
    this.code = UserErrorCode.INVALID_CREDENTIALS;
    this.message = message;
  }
}

@ObjectType('TooManyAttempts', { implements: UserError })
export class TooManyAttempts extends UserError {
  @Field(() => Int)
  retryAfterSeconds!: number;

  constructor(retryAfterSeconds: number) {
    super();
    this.code = UserErrorCode.TOO_MANY_ATTEMPTS;
    this.message = `Too many failed attempts. Try again in ${retryAfterSeconds} seconds.`;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

@ObjectType('PasswordRejected', { implements: UserError })
export class PasswordRejected extends UserError {
  @Field(() => [String])
  reasons!: string[];

  constructor(reasons: string[]) {
    super();
    this.code = UserErrorCode.PASSWORD_REJECTED;
    this.message = reasons.join(' ');
    this.reasons = reasons;
  }
}

@ObjectType('InvalidToken', { implements: UserError })
export class InvalidToken extends UserError {
  constructor(message = 'The token is invalid, expired or already used.') {
    super();
    this.code = UserErrorCode.INVALID_TOKEN;
    this.message = message;
  }
}

@ObjectType('InvalidMfaCode', { implements: UserError })
export class InvalidMfaCode extends UserError {
  constructor() {
    super();
    this.code = UserErrorCode.INVALID_MFA_CODE;
    this.message = 'The code is incorrect or was already used.';
  }
}

@ObjectType('EmailNotVerified', { implements: UserError })
export class EmailNotVerified extends UserError {
  constructor() {
    super();
    this.code = UserErrorCode.EMAIL_NOT_VERIFIED;
    this.message = 'Verify your email address first: follow the link in the email we sent.';
  }
}

/** Only in SIGNUP_MODE=immediate, which cannot hide a taken address; verify-first never answers this. */
@ObjectType('EmailTaken', { implements: UserError })
export class EmailTaken extends UserError {
  constructor() {
    super();
    this.code = UserErrorCode.EMAIL_TAKEN;
    this.message = 'An account with this email already exists. Sign in instead.';
  }
}

/** A sensitive change needs a recent primary authentication: call `reauthenticate`, then retry. */
@ObjectType('StepUpRequired', { implements: UserError })
export class StepUpRequired extends UserError {
  @Field(() => Int, { description: 'How recent (seconds) the last authentication must be.' })
  maxAgeSeconds!: number;

  constructor(maxAgeSeconds = 300) {
    super();
    this.code = UserErrorCode.STEP_UP_REQUIRED;
    this.message = 'Confirm it is you: sign in again (reauthenticate), then retry.';
    this.maxAgeSeconds = maxAgeSeconds;
  }
}

/** The authenticator's answer to a passkey registration was refused (challenge, origin, RP ID, signature). */
@ObjectType('InvalidPasskeyResponse', { implements: UserError })
export class InvalidPasskeyResponse extends UserError {
  constructor() {
    super();
    this.code = UserErrorCode.INVALID_PASSKEY_RESPONSE;
    this.message = 'The passkey could not be verified. Start again: beginPasskeyRegistration.';
  }
}

@ObjectType('PasskeyNotFound', { implements: UserError })
export class PasskeyNotFound extends UserError {
  constructor() {
    super();
    this.code = UserErrorCode.PASSKEY_NOT_FOUND;
    this.message = 'No such passkey on this account.';
  }
}

/** Removing it would leave the account without a way to sign in (no password, no other passkey). */
/**
 * Social sign-in: an account with this email exists, and this provider may not link to it on its
 * own. Sign in the usual way, then link the provider from the account page (linkIdentity).
 */
@ObjectType('IdentityLinkRequired', { implements: UserError })
export class IdentityLinkRequired extends UserError {
  constructor() {
    super();
    this.code = UserErrorCode.IDENTITY_LINK_REQUIRED;
    this.message =
      'An account with this email already exists. Sign in the usual way, then link this provider from your account page.';
  }
}

/** completeLinkIdentity: the provider account is already linked to another Plinto account. */
@ObjectType('IdentityInUse', { implements: UserError })
export class IdentityInUse extends UserError {
  constructor() {
    super();
    this.code = UserErrorCode.IDENTITY_IN_USE;
    this.message = 'That provider account is already linked to another account.';
  }
}

/** unlinkIdentity: the account would have no way left to sign in (no password, no other identity). */
@ObjectType('LastSignInMethod', { implements: UserError })
export class LastSignInMethod extends UserError {
  constructor() {
    super();
    this.code = UserErrorCode.LAST_SIGN_IN_METHOD;
    this.message =
      'This is the last way to sign in to the account: set a password, add a passkey or link another provider first.';
  }
}

/** Administration: no user (or key) with that id. */
@ObjectType('NotFound', { implements: UserError })
export class NotFound extends UserError {
  constructor(message = 'No such user.') {
    super();
    this.code = UserErrorCode.NOT_FOUND;
    this.message = message;
  }
}
