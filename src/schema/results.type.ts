import { createUnionType } from 'type-graphql';
import {
  EmailNotVerified,
  EmailTaken,
  IdentityInUse,
  IdentityLinkRequired,
  InvalidCredentials,
  InvalidMfaCode,
  InvalidPasskeyResponse,
  InvalidToken,
  LastSignInMethod,
  PasskeyNotFound,
  PasswordRejected,
  StepUpRequired,
  TooManyAttempts,
} from './user-error.type.js';
import { PasskeyOptions, PasskeyRemoved, PasskeyType } from './passkey.type.js';
import { IdentityLinked, IdentityUnlinked, SocialAuthorization } from './social.type.js';
import {
  MfaChallenge,
  PasswordChanged,
  Reauthenticated,
  RecoveryCodes,
  SignInSuccess,
  VerificationRequired,
} from './payloads.type.js';

// Members are class instances; type-graphql resolves the union member from the instance's class.
export const SignUpResult = createUnionType({
  name: 'SignUpResult',
  types: () => [SignInSuccess, VerificationRequired, PasswordRejected, EmailTaken] as const,
});

export const SignInResult = createUnionType({
  name: 'SignInResult',
  // IdentityLinkRequired and InvalidToken: completeSocialSignIn and signInWithIdToken (issue 20).
  types: () =>
    [
      SignInSuccess,
      MfaChallenge,
      InvalidCredentials,
      TooManyAttempts,
      EmailNotVerified,
      IdentityLinkRequired,
      InvalidToken,
    ] as const,
});

export const CompleteMfaResult = createUnionType({
  name: 'CompleteMfaResult',
  types: () => [SignInSuccess, InvalidMfaCode, InvalidToken, TooManyAttempts] as const,
});

export const RefreshResult = createUnionType({
  name: 'RefreshResult',
  types: () => [SignInSuccess, InvalidToken] as const,
});

export const TokenSignInResult = createUnionType({
  name: 'TokenSignInResult',
  types: () => [SignInSuccess, MfaChallenge, InvalidToken] as const,
});

export const ResetPasswordResult = createUnionType({
  name: 'ResetPasswordResult',
  types: () => [PasswordChanged, InvalidToken, PasswordRejected] as const,
});

export const ChangePasswordResult = createUnionType({
  name: 'ChangePasswordResult',
  types: () => [PasswordChanged, InvalidCredentials, PasswordRejected, StepUpRequired] as const,
});

export const MfaCodeResult = createUnionType({
  name: 'MfaCodeResult',
  types: () => [RecoveryCodes, InvalidMfaCode, StepUpRequired] as const,
});

// Account integrity (issue 17): step-up. Mutations that returned an object or a scalar answer a
// union now, whose success member carries the old shape (or the old scalar as its one field).

export const ReauthenticateResult = createUnionType({
  name: 'ReauthenticateResult',
  types: () => [Reauthenticated, InvalidCredentials, InvalidMfaCode, TooManyAttempts] as const,
});

// Passkeys (issue 19)
export const BeginPasskeyRegistrationResult = createUnionType({
  name: 'BeginPasskeyRegistrationResult',
  types: () => [PasskeyOptions, StepUpRequired] as const,
});

export const FinishPasskeyRegistrationResult = createUnionType({
  name: 'FinishPasskeyRegistrationResult',
  types: () => [PasskeyType, InvalidPasskeyResponse] as const,
});

export const RenamePasskeyResult = createUnionType({
  name: 'RenamePasskeyResult',
  types: () => [PasskeyType, PasskeyNotFound, StepUpRequired] as const,
});

export const RemovePasskeyResult = createUnionType({
  name: 'RemovePasskeyResult',
  types: () => [PasskeyRemoved, PasskeyNotFound, LastSignInMethod, StepUpRequired] as const,
});

export const LinkIdentityResult = createUnionType({
  name: 'LinkIdentityResult',
  types: () => [SocialAuthorization, StepUpRequired] as const,
});

export const CompleteLinkIdentityResult = createUnionType({
  name: 'CompleteLinkIdentityResult',
  types: () => [IdentityLinked, IdentityInUse, InvalidToken] as const,
});

export const UnlinkIdentityResult = createUnionType({
  name: 'UnlinkIdentityResult',
  types: () => [IdentityUnlinked, StepUpRequired, LastSignInMethod] as const,
});
