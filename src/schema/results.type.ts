import { createUnionType } from 'type-graphql';
import {
  EmailNotVerified,
  EmailTaken,
  IdentityLinkRequired,
  InvalidCredentials,
  InvalidMfaCode,
  InvalidToken,
  LastSignInMethod,
  PasswordRejected,
  StepUpRequired,
  TooManyAttempts,
} from './user-error.type.js';
import { IdentityUnlinked, SocialAuthorization } from './social.type.js';
import {
  MfaChallenge,
  PasswordChanged,
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
  types: () => [PasswordChanged, InvalidCredentials, PasswordRejected] as const,
});

export const MfaCodeResult = createUnionType({
  name: 'MfaCodeResult',
  types: () => [RecoveryCodes, InvalidMfaCode] as const,
});

export const LinkIdentityResult = createUnionType({
  name: 'LinkIdentityResult',
  types: () => [SocialAuthorization, StepUpRequired] as const,
});

export const UnlinkIdentityResult = createUnionType({
  name: 'UnlinkIdentityResult',
  types: () => [IdentityUnlinked, StepUpRequired, LastSignInMethod] as const,
});
