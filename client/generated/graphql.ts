/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type SignInInput = {
  email: string;
  password: string;
};

export type SignUpInput = {
  email: string;
  password: string;
};

export type UserErrorCode =
  | 'EMAIL_NOT_VERIFIED'
  | 'EMAIL_TAKEN'
  | 'INVALID_CREDENTIALS'
  | 'INVALID_MFA_CODE'
  | 'INVALID_TOKEN'
  | 'PASSWORD_REJECTED'
  | 'TOO_MANY_ATTEMPTS';

export type UserFieldsFragment = { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string };

export type SessionFieldsFragment = { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean };

export type SignInSuccessFieldsFragment = { __typename: 'SignInSuccess', user: { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string }, session: { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean }, tokens: { __typename: 'AuthTokens', accessToken: string, accessTokenExpiresAt: string, refreshToken: string | null, refreshTokenExpiresAt: string, tokenType: string } };

export type SignUpMutationVariables = Exact<{
  input: SignUpInput;
}>;


export type SignUpMutation = { signUp:
    | { __typename: 'EmailTaken', code: UserErrorCode, message: string }
    | { __typename: 'PasswordRejected', code: UserErrorCode, message: string, reasons: Array<string> }
    | { __typename: 'SignInSuccess', user: { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string }, session: { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean }, tokens: { __typename: 'AuthTokens', accessToken: string, accessTokenExpiresAt: string, refreshToken: string | null, refreshTokenExpiresAt: string, tokenType: string } }
    | { __typename: 'VerificationRequired', email: string }
   };

export type SignInMutationVariables = Exact<{
  input: SignInInput;
}>;


export type SignInMutation = { signIn:
    | { __typename: 'EmailNotVerified', code: UserErrorCode, message: string }
    | { __typename: 'InvalidCredentials', code: UserErrorCode, message: string }
    | { __typename: 'MfaChallenge', challengeToken: string, expiresAt: string }
    | { __typename: 'SignInSuccess', user: { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string }, session: { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean }, tokens: { __typename: 'AuthTokens', accessToken: string, accessTokenExpiresAt: string, refreshToken: string | null, refreshTokenExpiresAt: string, tokenType: string } }
    | { __typename: 'TooManyAttempts', code: UserErrorCode, message: string, retryAfterSeconds: number }
   };

export type RefreshSessionMutationVariables = Exact<{
  refreshToken?: string | null | undefined;
}>;


export type RefreshSessionMutation = { refreshSession:
    | { __typename: 'InvalidToken', code: UserErrorCode, message: string }
    | { __typename: 'SignInSuccess', user: { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string }, session: { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean }, tokens: { __typename: 'AuthTokens', accessToken: string, accessTokenExpiresAt: string, refreshToken: string | null, refreshTokenExpiresAt: string, tokenType: string } }
   };

export type SignOutMutationVariables = Exact<{ [key: string]: never; }>;


export type SignOutMutation = { signOut: boolean };

export type SignOutEverywhereMutationVariables = Exact<{ [key: string]: never; }>;


export type SignOutEverywhereMutation = { signOutEverywhere: number };

export type RevokeSessionMutationVariables = Exact<{
  id: string | number;
}>;


export type RevokeSessionMutation = { revokeSession: boolean };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string } };

export type SessionsQueryVariables = Exact<{ [key: string]: never; }>;


export type SessionsQuery = { sessions: Array<{ __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean }> };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const UserFieldsFragmentDoc = new TypedDocumentString(`
    fragment UserFields on User {
  id
  email
  emailVerified
  mfaEnabled
  createdAt
}
    `, {"fragmentName":"UserFields"}) as unknown as TypedDocumentString<UserFieldsFragment, unknown>;
export const SessionFieldsFragmentDoc = new TypedDocumentString(`
    fragment SessionFields on Session {
  id
  createdAt
  lastUsedAt
  expiresAt
  ip
  userAgent
  current
}
    `, {"fragmentName":"SessionFields"}) as unknown as TypedDocumentString<SessionFieldsFragment, unknown>;
export const SignInSuccessFieldsFragmentDoc = new TypedDocumentString(`
    fragment SignInSuccessFields on SignInSuccess {
  user {
    ...UserFields
  }
  session {
    ...SessionFields
  }
  tokens {
    accessToken
    accessTokenExpiresAt
    refreshToken
    refreshTokenExpiresAt
    tokenType
  }
}
    fragment UserFields on User {
  id
  email
  emailVerified
  mfaEnabled
  createdAt
}
fragment SessionFields on Session {
  id
  createdAt
  lastUsedAt
  expiresAt
  ip
  userAgent
  current
}`, {"fragmentName":"SignInSuccessFields"}) as unknown as TypedDocumentString<SignInSuccessFieldsFragment, unknown>;
export const SignUpDocument = new TypedDocumentString(`
    mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    __typename
    ...SignInSuccessFields
    ... on VerificationRequired {
      email
    }
    ... on PasswordRejected {
      code
      message
      reasons
    }
    ... on UserError {
      code
      message
    }
  }
}
    fragment UserFields on User {
  id
  email
  emailVerified
  mfaEnabled
  createdAt
}
fragment SessionFields on Session {
  id
  createdAt
  lastUsedAt
  expiresAt
  ip
  userAgent
  current
}
fragment SignInSuccessFields on SignInSuccess {
  user {
    ...UserFields
  }
  session {
    ...SessionFields
  }
  tokens {
    accessToken
    accessTokenExpiresAt
    refreshToken
    refreshTokenExpiresAt
    tokenType
  }
}`) as unknown as TypedDocumentString<SignUpMutation, SignUpMutationVariables>;
export const SignInDocument = new TypedDocumentString(`
    mutation SignIn($input: SignInInput!) {
  signIn(input: $input) {
    __typename
    ...SignInSuccessFields
    ... on MfaChallenge {
      challengeToken
      expiresAt
    }
    ... on TooManyAttempts {
      code
      message
      retryAfterSeconds
    }
    ... on UserError {
      code
      message
    }
  }
}
    fragment UserFields on User {
  id
  email
  emailVerified
  mfaEnabled
  createdAt
}
fragment SessionFields on Session {
  id
  createdAt
  lastUsedAt
  expiresAt
  ip
  userAgent
  current
}
fragment SignInSuccessFields on SignInSuccess {
  user {
    ...UserFields
  }
  session {
    ...SessionFields
  }
  tokens {
    accessToken
    accessTokenExpiresAt
    refreshToken
    refreshTokenExpiresAt
    tokenType
  }
}`) as unknown as TypedDocumentString<SignInMutation, SignInMutationVariables>;
export const RefreshSessionDocument = new TypedDocumentString(`
    mutation RefreshSession($refreshToken: String) {
  refreshSession(refreshToken: $refreshToken) {
    __typename
    ...SignInSuccessFields
    ... on UserError {
      code
      message
    }
  }
}
    fragment UserFields on User {
  id
  email
  emailVerified
  mfaEnabled
  createdAt
}
fragment SessionFields on Session {
  id
  createdAt
  lastUsedAt
  expiresAt
  ip
  userAgent
  current
}
fragment SignInSuccessFields on SignInSuccess {
  user {
    ...UserFields
  }
  session {
    ...SessionFields
  }
  tokens {
    accessToken
    accessTokenExpiresAt
    refreshToken
    refreshTokenExpiresAt
    tokenType
  }
}`) as unknown as TypedDocumentString<RefreshSessionMutation, RefreshSessionMutationVariables>;
export const SignOutDocument = new TypedDocumentString(`
    mutation SignOut {
  signOut
}
    `) as unknown as TypedDocumentString<SignOutMutation, SignOutMutationVariables>;
export const SignOutEverywhereDocument = new TypedDocumentString(`
    mutation SignOutEverywhere {
  signOutEverywhere
}
    `) as unknown as TypedDocumentString<SignOutEverywhereMutation, SignOutEverywhereMutationVariables>;
export const RevokeSessionDocument = new TypedDocumentString(`
    mutation RevokeSession($id: ID!) {
  revokeSession(id: $id)
}
    `) as unknown as TypedDocumentString<RevokeSessionMutation, RevokeSessionMutationVariables>;
export const MeDocument = new TypedDocumentString(`
    query Me {
  me {
    ...UserFields
  }
}
    fragment UserFields on User {
  id
  email
  emailVerified
  mfaEnabled
  createdAt
}`) as unknown as TypedDocumentString<MeQuery, MeQueryVariables>;
export const SessionsDocument = new TypedDocumentString(`
    query Sessions {
  sessions {
    ...SessionFields
  }
}
    fragment SessionFields on Session {
  id
  createdAt
  lastUsedAt
  expiresAt
  ip
  userAgent
  current
}`) as unknown as TypedDocumentString<SessionsQuery, SessionsQueryVariables>;