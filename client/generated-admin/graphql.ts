/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type AdminAuditLogFilter = {
  /** `user:<id>` or `key:<id>`. */
  actor?: string | null | undefined;
  kind?: string | null | undefined;
  /** Events about this user (a user id). */
  userId?: string | null | undefined;
};

export type AdminUserFilter = {
  disabled?: boolean | null | undefined;
  hasMfa?: boolean | null | undefined;
  /** `password` or `email` (emailed links only). */
  provider?: string | null | undefined;
  /** A prefix of the (normalised) email address. */
  query?: string | null | undefined;
  role?: string | null | undefined;
  verified?: boolean | null | undefined;
};

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
  | 'IDENTITY_IN_USE'
  | 'IDENTITY_LINK_REQUIRED'
  | 'INVALID_CREDENTIALS'
  | 'INVALID_MFA_CODE'
  | 'INVALID_PASSKEY_RESPONSE'
  | 'INVALID_TOKEN'
  | 'LAST_SIGN_IN_METHOD'
  | 'NOT_FOUND'
  | 'PASSKEY_NOT_FOUND'
  | 'PASSWORD_REJECTED'
  | 'STEP_UP_REQUIRED'
  | 'TOO_MANY_ATTEMPTS';

/** pending: waiting or backing off; delivered: a 2xx answer; failed: 3 days without one (or its endpoint disabled). */
export type WebhookDeliveryStatus =
  | 'delivered'
  | 'failed'
  | 'pending';

export type AdminUserFieldsFragment = { __typename: 'AdminUser', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, hasPassword: boolean, roles: Array<string>, createdAt: string, disabled: boolean, disabledAt: string | null, disabledReason: string | null, displayName: string | null };

export type AdminUsersQueryVariables = Exact<{
  filter?: AdminUserFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type AdminUsersQuery = { adminUsers: { __typename: 'AdminUserConnection', nodes: Array<{ __typename: 'AdminUser', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, hasPassword: boolean, roles: Array<string>, createdAt: string, disabled: boolean, disabledAt: string | null, disabledReason: string | null, displayName: string | null }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type AdminUserQueryVariables = Exact<{
  id: string | number;
}>;


export type AdminUserQuery = { adminUser: { __typename: 'AdminUser', publicMetadata: string | null, privateMetadata: string | null, lastSignInAt: string | null, recoveryCodesLeft: number, id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, hasPassword: boolean, roles: Array<string>, createdAt: string, disabled: boolean, disabledAt: string | null, disabledReason: string | null, displayName: string | null, sessions: Array<{ __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, ip: string | null, userAgent: string | null }>, passkeys: Array<{ __typename: 'Passkey', id: string, name: string, createdAt: string, lastUsedAt: string | null }>, identities: Array<{ __typename: 'Identity', id: string, provider: string, providerName: string, email: string | null, linkedAt: string, lastUsedAt: string | null }>, recentEvents: Array<{ __typename: 'AdminAuditEvent', id: string, kind: string, result: string, actor: string | null, detail: string | null, createdAt: string }> } | null };

export type AdminDisableUserMutationVariables = Exact<{
  id: string | number;
  reason: string;
}>;


export type AdminDisableUserMutation = { adminDisableUser:
    | { __typename: 'AdminUser', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, hasPassword: boolean, roles: Array<string>, createdAt: string, disabled: boolean, disabledAt: string | null, disabledReason: string | null, displayName: string | null }
    | { __typename: 'EmailTaken', code: UserErrorCode, message: string }
    | { __typename: 'NotFound', code: UserErrorCode, message: string }
    | { __typename: 'StepUpRequired', code: UserErrorCode, message: string }
   };

export type AdminEnableUserMutationVariables = Exact<{
  id: string | number;
}>;


export type AdminEnableUserMutation = { adminEnableUser:
    | { __typename: 'AdminUser', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, hasPassword: boolean, roles: Array<string>, createdAt: string, disabled: boolean, disabledAt: string | null, disabledReason: string | null, displayName: string | null }
    | { __typename: 'EmailTaken', code: UserErrorCode, message: string }
    | { __typename: 'NotFound', code: UserErrorCode, message: string }
    | { __typename: 'StepUpRequired', code: UserErrorCode, message: string }
   };

export type AdminRevokeSessionsMutationVariables = Exact<{
  id: string | number;
}>;


export type AdminRevokeSessionsMutation = { adminRevokeSessions:
    | { __typename: 'AdminUser' }
    | { __typename: 'EmailTaken', code: UserErrorCode, message: string }
    | { __typename: 'NotFound', code: UserErrorCode, message: string }
    | { __typename: 'StepUpRequired', code: UserErrorCode, message: string }
   };

export type AdminResetMfaMutationVariables = Exact<{
  id: string | number;
}>;


export type AdminResetMfaMutation = { adminResetMfa:
    | { __typename: 'AdminUser' }
    | { __typename: 'EmailTaken', code: UserErrorCode, message: string }
    | { __typename: 'NotFound', code: UserErrorCode, message: string }
    | { __typename: 'StepUpRequired', code: UserErrorCode, message: string }
   };

export type AdminUnlockUserMutationVariables = Exact<{
  id: string | number;
}>;


export type AdminUnlockUserMutation = { adminUnlockUser:
    | { __typename: 'AdminUser' }
    | { __typename: 'EmailTaken', code: UserErrorCode, message: string }
    | { __typename: 'NotFound', code: UserErrorCode, message: string }
    | { __typename: 'StepUpRequired', code: UserErrorCode, message: string }
   };

export type AdminSendPasswordResetMutationVariables = Exact<{
  id: string | number;
}>;


export type AdminSendPasswordResetMutation = { adminSendPasswordReset:
    | { __typename: 'AdminUser' }
    | { __typename: 'EmailTaken', code: UserErrorCode, message: string }
    | { __typename: 'NotFound', code: UserErrorCode, message: string }
    | { __typename: 'StepUpRequired', code: UserErrorCode, message: string }
   };

export type AdminDeleteUserMutationVariables = Exact<{
  id: string | number;
}>;


export type AdminDeleteUserMutation = { adminDeleteUser:
    | { __typename: 'AdminUserDeleted' }
    | { __typename: 'NotFound', code: UserErrorCode, message: string }
    | { __typename: 'StepUpRequired', code: UserErrorCode, message: string }
   };

export type AdminAuditLogQueryVariables = Exact<{
  filter?: AdminAuditLogFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type AdminAuditLogQuery = { adminAuditLog: { __typename: 'AdminAuditLogConnection', nodes: Array<{ __typename: 'AdminAuditEvent', id: string, kind: string, result: string, userId: string | null, actor: string | null, detail: string | null, ip: string | null, createdAt: string }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type AuditLogQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type AuditLogQuery = { auditLog: { __typename: 'AuditLogConnection', edges: Array<{ __typename: 'AuditLogEdge', cursor: string, node: { __typename: 'AuditEvent', id: string, kind: string, result: string, sessionId: string | null, ip: string | null, userAgent: string | null, createdAt: string } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type ChangeEmailMutationVariables = Exact<{
  newEmail: string;
}>;


export type ChangeEmailMutation = { changeEmail:
    | { __typename: 'EmailChangeRequested', pendingEmail: string }
    | { __typename: 'StepUpRequired', code: UserErrorCode, message: string, maxAgeSeconds: number }
   };

export type ConfirmEmailChangeMutationVariables = Exact<{
  token: string;
}>;


export type ConfirmEmailChangeMutation = { confirmEmailChange:
    | { __typename: 'EmailChanged', email: string }
    | { __typename: 'InvalidToken', code: UserErrorCode, message: string }
   };

export type UndoEmailChangeMutationVariables = Exact<{
  token: string;
}>;


export type UndoEmailChangeMutation = { undoEmailChange:
    | { __typename: 'EmailChanged', email: string }
    | { __typename: 'InvalidToken', code: UserErrorCode, message: string }
   };

type TokenSignInResultFields_InvalidToken_Fragment = { __typename: 'InvalidToken', code: UserErrorCode, message: string };

type TokenSignInResultFields_MfaChallenge_Fragment = { __typename: 'MfaChallenge', challengeToken: string, expiresAt: string };

type TokenSignInResultFields_SignInSuccess_Fragment = { __typename: 'SignInSuccess', user: { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string }, session: { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean }, tokens: { __typename: 'AuthTokens', accessToken: string, accessTokenExpiresAt: string, refreshToken: string | null, refreshTokenExpiresAt: string, tokenType: string } };

export type TokenSignInResultFieldsFragment =
  | TokenSignInResultFields_InvalidToken_Fragment
  | TokenSignInResultFields_MfaChallenge_Fragment
  | TokenSignInResultFields_SignInSuccess_Fragment
;

export type RequestEmailVerificationMutationVariables = Exact<{
  email: string;
}>;


export type RequestEmailVerificationMutation = { requestEmailVerification: boolean };

export type VerifyEmailMutationVariables = Exact<{
  token: string;
}>;


export type VerifyEmailMutation = { verifyEmail:
    | { __typename: 'InvalidToken', code: UserErrorCode, message: string }
    | { __typename: 'MfaChallenge', challengeToken: string, expiresAt: string }
    | { __typename: 'SignInSuccess', user: { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string }, session: { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean }, tokens: { __typename: 'AuthTokens', accessToken: string, accessTokenExpiresAt: string, refreshToken: string | null, refreshTokenExpiresAt: string, tokenType: string } }
   };

export type RequestPasswordResetMutationVariables = Exact<{
  email: string;
}>;


export type RequestPasswordResetMutation = { requestPasswordReset: boolean };

export type ResetPasswordMutationVariables = Exact<{
  token: string;
  newPassword: string;
}>;


export type ResetPasswordMutation = { resetPassword:
    | { __typename: 'InvalidToken', code: UserErrorCode, message: string }
    | { __typename: 'PasswordChanged', signedOutSessions: number }
    | { __typename: 'PasswordRejected', reasons: Array<string>, code: UserErrorCode, message: string }
   };

export type ChangePasswordMutationVariables = Exact<{
  currentPassword: string;
  newPassword: string;
  signOutOtherSessions?: boolean | null | undefined;
}>;


export type ChangePasswordMutation = { changePassword:
    | { __typename: 'InvalidCredentials', code: UserErrorCode, message: string }
    | { __typename: 'PasswordChanged', signedOutSessions: number }
    | { __typename: 'PasswordRejected', reasons: Array<string>, code: UserErrorCode, message: string }
    | { __typename: 'StepUpRequired', maxAgeSeconds: number, code: UserErrorCode, message: string }
   };

export type RequestMagicLinkMutationVariables = Exact<{
  email: string;
}>;


export type RequestMagicLinkMutation = { requestMagicLink: boolean };

export type SignInWithMagicLinkMutationVariables = Exact<{
  token: string;
}>;


export type SignInWithMagicLinkMutation = { signInWithMagicLink:
    | { __typename: 'InvalidToken', code: UserErrorCode, message: string }
    | { __typename: 'MfaChallenge', challengeToken: string, expiresAt: string }
    | { __typename: 'SignInSuccess', user: { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string }, session: { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean }, tokens: { __typename: 'AuthTokens', accessToken: string, accessTokenExpiresAt: string, refreshToken: string | null, refreshTokenExpiresAt: string, tokenType: string } }
   };

export type UserFieldsFragment = { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string };

export type SessionFieldsFragment = { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean };

export type SignInSuccessFieldsFragment = { __typename: 'SignInSuccess', user: { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string }, session: { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean }, tokens: { __typename: 'AuthTokens', accessToken: string, accessTokenExpiresAt: string, refreshToken: string | null, refreshTokenExpiresAt: string, tokenType: string } };

export type CompleteMfaSignInMutationVariables = Exact<{
  challengeToken: string;
  code: string;
}>;


export type CompleteMfaSignInMutation = { completeMfaSignIn:
    | { __typename: 'InvalidMfaCode', code: UserErrorCode, message: string }
    | { __typename: 'InvalidToken', code: UserErrorCode, message: string }
    | { __typename: 'SignInSuccess', user: { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string }, session: { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean }, tokens: { __typename: 'AuthTokens', accessToken: string, accessTokenExpiresAt: string, refreshToken: string | null, refreshTokenExpiresAt: string, tokenType: string } }
    | { __typename: 'TooManyAttempts', retryAfterSeconds: number, code: UserErrorCode, message: string }
   };

export type BeginTotpEnrollmentMutationVariables = Exact<{ [key: string]: never; }>;


export type BeginTotpEnrollmentMutation = { beginTotpEnrollment: { __typename: 'TotpEnrollment', secret: string, otpauthUri: string } };

export type ConfirmTotpEnrollmentMutationVariables = Exact<{
  code: string;
}>;


export type ConfirmTotpEnrollmentMutation = { confirmTotpEnrollment:
    | { __typename: 'InvalidMfaCode', code: UserErrorCode, message: string }
    | { __typename: 'RecoveryCodes', codes: Array<string> }
    | { __typename: 'StepUpRequired', maxAgeSeconds: number, code: UserErrorCode, message: string }
   };

export type DisableTotpMutationVariables = Exact<{
  code: string;
}>;


export type DisableTotpMutation = { disableTotp: boolean };

export type ReauthenticateMutationVariables = Exact<{
  password?: string | null | undefined;
  code?: string | null | undefined;
}>;


export type ReauthenticateMutation = { reauthenticate:
    | { __typename: 'InvalidCredentials', code: UserErrorCode, message: string }
    | { __typename: 'InvalidMfaCode', code: UserErrorCode, message: string }
    | { __typename: 'Reauthenticated', accessToken: string, accessTokenExpiresAt: string, authTime: string }
    | { __typename: 'TooManyAttempts', retryAfterSeconds: number, code: UserErrorCode, message: string }
   };

export type RegenerateRecoveryCodesMutationVariables = Exact<{
  code: string;
}>;


export type RegenerateRecoveryCodesMutation = { regenerateRecoveryCodes:
    | { __typename: 'InvalidMfaCode', code: UserErrorCode, message: string }
    | { __typename: 'RecoveryCodes', codes: Array<string> }
    | { __typename: 'StepUpRequired', maxAgeSeconds: number, code: UserErrorCode, message: string }
   };

export type PasskeyFieldsFragment = { __typename: 'Passkey', id: string, name: string, createdAt: string, lastUsedAt: string | null, backupEligible: boolean, backedUp: boolean, transports: Array<string>, aaguid: string };

export type BeginPasskeyRegistrationMutationVariables = Exact<{ [key: string]: never; }>;


export type BeginPasskeyRegistrationMutation = { beginPasskeyRegistration:
    | { __typename: 'PasskeyOptions', options: string }
    | { __typename: 'StepUpRequired', code: UserErrorCode, message: string, maxAgeSeconds: number }
   };

export type FinishPasskeyRegistrationMutationVariables = Exact<{
  response: string;
  name?: string | null | undefined;
}>;


export type FinishPasskeyRegistrationMutation = { finishPasskeyRegistration:
    | { __typename: 'InvalidPasskeyResponse', code: UserErrorCode, message: string }
    | { __typename: 'Passkey', id: string, name: string, createdAt: string, lastUsedAt: string | null, backupEligible: boolean, backedUp: boolean, transports: Array<string>, aaguid: string }
   };

export type PasskeysQueryVariables = Exact<{ [key: string]: never; }>;


export type PasskeysQuery = { passkeys: Array<{ __typename: 'Passkey', id: string, name: string, createdAt: string, lastUsedAt: string | null, backupEligible: boolean, backedUp: boolean, transports: Array<string>, aaguid: string }> };

export type RenamePasskeyMutationVariables = Exact<{
  id: string | number;
  name: string;
}>;


export type RenamePasskeyMutation = { renamePasskey:
    | { __typename: 'Passkey', id: string, name: string, createdAt: string, lastUsedAt: string | null, backupEligible: boolean, backedUp: boolean, transports: Array<string>, aaguid: string }
    | { __typename: 'PasskeyNotFound', code: UserErrorCode, message: string }
    | { __typename: 'StepUpRequired', maxAgeSeconds: number, code: UserErrorCode, message: string }
   };

export type RemovePasskeyMutationVariables = Exact<{
  id: string | number;
}>;


export type RemovePasskeyMutation = { removePasskey:
    | { __typename: 'LastSignInMethod', code: UserErrorCode, message: string }
    | { __typename: 'PasskeyNotFound', code: UserErrorCode, message: string }
    | { __typename: 'PasskeyRemoved', id: string }
    | { __typename: 'StepUpRequired', maxAgeSeconds: number, code: UserErrorCode, message: string }
   };

export type BeginPasskeySignInMutationVariables = Exact<{
  email?: string | null | undefined;
}>;


export type BeginPasskeySignInMutation = { beginPasskeySignIn: { __typename: 'PasskeyOptions', options: string } };

export type FinishPasskeySignInMutationVariables = Exact<{
  response: string;
}>;


export type FinishPasskeySignInMutation = { finishPasskeySignIn:
    | { __typename: 'EmailNotVerified', code: UserErrorCode, message: string }
    | { __typename: 'IdentityLinkRequired', code: UserErrorCode, message: string }
    | { __typename: 'InvalidCredentials', code: UserErrorCode, message: string }
    | { __typename: 'InvalidToken', code: UserErrorCode, message: string }
    | { __typename: 'MfaChallenge', challengeToken: string, expiresAt: string }
    | { __typename: 'SignInSuccess', user: { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string }, session: { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean }, tokens: { __typename: 'AuthTokens', accessToken: string, accessTokenExpiresAt: string, refreshToken: string | null, refreshTokenExpiresAt: string, tokenType: string } }
    | { __typename: 'TooManyAttempts', retryAfterSeconds: number, code: UserErrorCode, message: string }
   };

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
    | { __typename: 'IdentityLinkRequired', code: UserErrorCode, message: string }
    | { __typename: 'InvalidCredentials', code: UserErrorCode, message: string }
    | { __typename: 'InvalidToken', code: UserErrorCode, message: string }
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

export type SocialProvidersQueryVariables = Exact<{ [key: string]: never; }>;


export type SocialProvidersQuery = { socialProviders: Array<{ __typename: 'SocialProvider', id: string, name: string }> };

export type BeginSocialSignInMutationVariables = Exact<{
  provider: string;
  redirectTo: string;
}>;


export type BeginSocialSignInMutation = { beginSocialSignIn: { __typename: 'SocialAuthorization', authorizationUrl: string, expiresAt: string, binding: string } };

export type CompleteSocialSignInMutationVariables = Exact<{
  code: string;
  binding: string;
}>;


export type CompleteSocialSignInMutation = { completeSocialSignIn:
    | { __typename: 'EmailNotVerified', code: UserErrorCode, message: string }
    | { __typename: 'IdentityLinkRequired', code: UserErrorCode, message: string }
    | { __typename: 'InvalidCredentials', code: UserErrorCode, message: string }
    | { __typename: 'InvalidToken', code: UserErrorCode, message: string }
    | { __typename: 'MfaChallenge', challengeToken: string, expiresAt: string }
    | { __typename: 'SignInSuccess', user: { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string }, session: { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean }, tokens: { __typename: 'AuthTokens', accessToken: string, accessTokenExpiresAt: string, refreshToken: string | null, refreshTokenExpiresAt: string, tokenType: string } }
    | { __typename: 'TooManyAttempts', code: UserErrorCode, message: string }
   };

export type SignInWithIdTokenMutationVariables = Exact<{
  provider: string;
  idToken: string;
  nonce: string;
}>;


export type SignInWithIdTokenMutation = { signInWithIdToken:
    | { __typename: 'EmailNotVerified', code: UserErrorCode, message: string }
    | { __typename: 'IdentityLinkRequired', code: UserErrorCode, message: string }
    | { __typename: 'InvalidCredentials', code: UserErrorCode, message: string }
    | { __typename: 'InvalidToken', code: UserErrorCode, message: string }
    | { __typename: 'MfaChallenge', challengeToken: string, expiresAt: string }
    | { __typename: 'SignInSuccess', user: { __typename: 'User', id: string, email: string, emailVerified: boolean, mfaEnabled: boolean, createdAt: string }, session: { __typename: 'Session', id: string, createdAt: string, lastUsedAt: string, expiresAt: string, ip: string | null, userAgent: string | null, current: boolean }, tokens: { __typename: 'AuthTokens', accessToken: string, accessTokenExpiresAt: string, refreshToken: string | null, refreshTokenExpiresAt: string, tokenType: string } }
    | { __typename: 'TooManyAttempts', code: UserErrorCode, message: string }
   };

export type IdentityFieldsFragment = { __typename: 'Identity', id: string, provider: string, providerName: string, email: string | null, emailVerified: boolean, linkedAt: string, lastUsedAt: string | null };

export type IdentitiesQueryVariables = Exact<{ [key: string]: never; }>;


export type IdentitiesQuery = { identities: Array<{ __typename: 'Identity', id: string, provider: string, providerName: string, email: string | null, emailVerified: boolean, linkedAt: string, lastUsedAt: string | null }> };

export type LinkIdentityMutationVariables = Exact<{
  provider: string;
  redirectTo: string;
}>;


export type LinkIdentityMutation = { linkIdentity:
    | { __typename: 'SocialAuthorization', authorizationUrl: string, expiresAt: string, binding: string }
    | { __typename: 'StepUpRequired', code: UserErrorCode, message: string, maxAgeSeconds: number }
   };

export type CompleteLinkIdentityMutationVariables = Exact<{
  code: string;
  binding: string;
}>;


export type CompleteLinkIdentityMutation = { completeLinkIdentity:
    | { __typename: 'IdentityInUse', code: UserErrorCode, message: string }
    | { __typename: 'IdentityLinked', provider: string, identities: Array<{ __typename: 'Identity', id: string, provider: string, providerName: string, email: string | null, emailVerified: boolean, linkedAt: string, lastUsedAt: string | null }> }
    | { __typename: 'InvalidToken', code: UserErrorCode, message: string }
   };

export type UnlinkIdentityMutationVariables = Exact<{
  id: string | number;
}>;


export type UnlinkIdentityMutation = { unlinkIdentity:
    | { __typename: 'IdentityUnlinked', identities: Array<{ __typename: 'Identity', id: string, provider: string, providerName: string, email: string | null, emailVerified: boolean, linkedAt: string, lastUsedAt: string | null }> }
    | { __typename: 'LastSignInMethod', code: UserErrorCode, message: string }
    | { __typename: 'StepUpRequired', code: UserErrorCode, message: string, maxAgeSeconds: number }
   };

export type WebhookEndpointFieldsFragment = { __typename: 'WebhookEndpoint', id: string, url: string, events: Array<string>, description: string | null, enabled: boolean, disabledAt: string | null, disabledReason: string | null, previousSecretExpiresAt: string | null, createdAt: string, updatedAt: string };

export type WebhookDeliveryFieldsFragment = { __typename: 'WebhookDelivery', id: string, endpointId: string, eventId: string, eventType: string, status: WebhookDeliveryStatus, attempts: number, nextAttemptAt: string | null, lastAttemptAt: string | null, lastStatusCode: number | null, lastError: string | null, deliveredAt: string | null, failedAt: string | null, createdAt: string };

export type WebhookEndpointsQueryVariables = Exact<{ [key: string]: never; }>;


export type WebhookEndpointsQuery = { webhookEndpoints: Array<{ __typename: 'WebhookEndpoint', id: string, url: string, events: Array<string>, description: string | null, enabled: boolean, disabledAt: string | null, disabledReason: string | null, previousSecretExpiresAt: string | null, createdAt: string, updatedAt: string }> };

export type WebhookDeliveriesQueryVariables = Exact<{
  endpointId: string | number;
  status?: WebhookDeliveryStatus | null | undefined;
  after?: string | null | undefined;
  first?: number | null | undefined;
}>;


export type WebhookDeliveriesQuery = { webhookDeliveries: { __typename: 'WebhookDeliveryConnection', edges: Array<{ __typename: 'WebhookDeliveryEdge', cursor: string, node: { __typename: 'WebhookDelivery', id: string, endpointId: string, eventId: string, eventType: string, status: WebhookDeliveryStatus, attempts: number, nextAttemptAt: string | null, lastAttemptAt: string | null, lastStatusCode: number | null, lastError: string | null, deliveredAt: string | null, failedAt: string | null, createdAt: string } }>, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null } } };

export type CreateWebhookEndpointMutationVariables = Exact<{
  url: string;
  events: Array<string> | string;
  description?: string | null | undefined;
}>;


export type CreateWebhookEndpointMutation = { createWebhookEndpoint: { __typename: 'WebhookEndpointSecret', secret: string, endpoint: { __typename: 'WebhookEndpoint', id: string, url: string, events: Array<string>, description: string | null, enabled: boolean, disabledAt: string | null, disabledReason: string | null, previousSecretExpiresAt: string | null, createdAt: string, updatedAt: string } } };

export type UpdateWebhookEndpointMutationVariables = Exact<{
  id: string | number;
  url?: string | null | undefined;
  events?: Array<string> | string | null | undefined;
  description?: string | null | undefined;
  enabled?: boolean | null | undefined;
}>;


export type UpdateWebhookEndpointMutation = { updateWebhookEndpoint: { __typename: 'WebhookEndpoint', id: string, url: string, events: Array<string>, description: string | null, enabled: boolean, disabledAt: string | null, disabledReason: string | null, previousSecretExpiresAt: string | null, createdAt: string, updatedAt: string } };

export type RotateWebhookSecretMutationVariables = Exact<{
  id: string | number;
}>;


export type RotateWebhookSecretMutation = { rotateWebhookSecret: { __typename: 'WebhookEndpointSecret', secret: string, endpoint: { __typename: 'WebhookEndpoint', id: string, url: string, events: Array<string>, description: string | null, enabled: boolean, disabledAt: string | null, disabledReason: string | null, previousSecretExpiresAt: string | null, createdAt: string, updatedAt: string } } };

export type DeleteWebhookEndpointMutationVariables = Exact<{
  id: string | number;
}>;


export type DeleteWebhookEndpointMutation = { deleteWebhookEndpoint: boolean };

export type RedeliverWebhookMutationVariables = Exact<{
  deliveryId: string | number;
}>;


export type RedeliverWebhookMutation = { redeliverWebhook: { __typename: 'WebhookDelivery', id: string, endpointId: string, eventId: string, eventType: string, status: WebhookDeliveryStatus, attempts: number, nextAttemptAt: string | null, lastAttemptAt: string | null, lastStatusCode: number | null, lastError: string | null, deliveredAt: string | null, failedAt: string | null, createdAt: string } };

export type SendTestWebhookMutationVariables = Exact<{
  endpointId: string | number;
}>;


export type SendTestWebhookMutation = { sendTestWebhook: { __typename: 'WebhookDelivery', id: string, endpointId: string, eventId: string, eventType: string, status: WebhookDeliveryStatus, attempts: number, nextAttemptAt: string | null, lastAttemptAt: string | null, lastStatusCode: number | null, lastError: string | null, deliveredAt: string | null, failedAt: string | null, createdAt: string } };

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
export const AdminUserFieldsFragmentDoc = new TypedDocumentString(`
    fragment AdminUserFields on AdminUser {
  id
  email
  emailVerified
  mfaEnabled
  hasPassword
  roles
  createdAt
  disabled
  disabledAt
  disabledReason
  displayName
}
    `, {"fragmentName":"AdminUserFields"}) as unknown as TypedDocumentString<AdminUserFieldsFragment, unknown>;
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
export const TokenSignInResultFieldsFragmentDoc = new TypedDocumentString(`
    fragment TokenSignInResultFields on TokenSignInResult {
  __typename
  ...SignInSuccessFields
  ... on MfaChallenge {
    challengeToken
    expiresAt
  }
  ... on UserError {
    code
    message
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
}`, {"fragmentName":"TokenSignInResultFields"}) as unknown as TypedDocumentString<TokenSignInResultFieldsFragment, unknown>;
export const PasskeyFieldsFragmentDoc = new TypedDocumentString(`
    fragment PasskeyFields on Passkey {
  id
  name
  createdAt
  lastUsedAt
  backupEligible
  backedUp
  transports
  aaguid
}
    `, {"fragmentName":"PasskeyFields"}) as unknown as TypedDocumentString<PasskeyFieldsFragment, unknown>;
export const IdentityFieldsFragmentDoc = new TypedDocumentString(`
    fragment IdentityFields on Identity {
  id
  provider
  providerName
  email
  emailVerified
  linkedAt
  lastUsedAt
}
    `, {"fragmentName":"IdentityFields"}) as unknown as TypedDocumentString<IdentityFieldsFragment, unknown>;
export const WebhookEndpointFieldsFragmentDoc = new TypedDocumentString(`
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  events
  description
  enabled
  disabledAt
  disabledReason
  previousSecretExpiresAt
  createdAt
  updatedAt
}
    `, {"fragmentName":"WebhookEndpointFields"}) as unknown as TypedDocumentString<WebhookEndpointFieldsFragment, unknown>;
export const WebhookDeliveryFieldsFragmentDoc = new TypedDocumentString(`
    fragment WebhookDeliveryFields on WebhookDelivery {
  id
  endpointId
  eventId
  eventType
  status
  attempts
  nextAttemptAt
  lastAttemptAt
  lastStatusCode
  lastError
  deliveredAt
  failedAt
  createdAt
}
    `, {"fragmentName":"WebhookDeliveryFields"}) as unknown as TypedDocumentString<WebhookDeliveryFieldsFragment, unknown>;
export const AdminUsersDocument = new TypedDocumentString(`
    query AdminUsers($filter: AdminUserFilter, $first: Int, $after: String) {
  adminUsers(filter: $filter, first: $first, after: $after) {
    nodes {
      ...AdminUserFields
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment AdminUserFields on AdminUser {
  id
  email
  emailVerified
  mfaEnabled
  hasPassword
  roles
  createdAt
  disabled
  disabledAt
  disabledReason
  displayName
}`) as unknown as TypedDocumentString<AdminUsersQuery, AdminUsersQueryVariables>;
export const AdminUserDocument = new TypedDocumentString(`
    query AdminUser($id: ID!) {
  adminUser(id: $id) {
    ...AdminUserFields
    publicMetadata
    privateMetadata
    lastSignInAt
    recoveryCodesLeft
    sessions {
      id
      createdAt
      lastUsedAt
      ip
      userAgent
    }
    passkeys {
      id
      name
      createdAt
      lastUsedAt
    }
    identities {
      id
      provider
      providerName
      email
      linkedAt
      lastUsedAt
    }
    recentEvents {
      id
      kind
      result
      actor
      detail
      createdAt
    }
  }
}
    fragment AdminUserFields on AdminUser {
  id
  email
  emailVerified
  mfaEnabled
  hasPassword
  roles
  createdAt
  disabled
  disabledAt
  disabledReason
  displayName
}`) as unknown as TypedDocumentString<AdminUserQuery, AdminUserQueryVariables>;
export const AdminDisableUserDocument = new TypedDocumentString(`
    mutation AdminDisableUser($id: ID!, $reason: String!) {
  adminDisableUser(id: $id, reason: $reason) {
    __typename
    ... on AdminUser {
      ...AdminUserFields
    }
    ... on UserError {
      code
      message
    }
  }
}
    fragment AdminUserFields on AdminUser {
  id
  email
  emailVerified
  mfaEnabled
  hasPassword
  roles
  createdAt
  disabled
  disabledAt
  disabledReason
  displayName
}`) as unknown as TypedDocumentString<AdminDisableUserMutation, AdminDisableUserMutationVariables>;
export const AdminEnableUserDocument = new TypedDocumentString(`
    mutation AdminEnableUser($id: ID!) {
  adminEnableUser(id: $id) {
    __typename
    ... on AdminUser {
      ...AdminUserFields
    }
    ... on UserError {
      code
      message
    }
  }
}
    fragment AdminUserFields on AdminUser {
  id
  email
  emailVerified
  mfaEnabled
  hasPassword
  roles
  createdAt
  disabled
  disabledAt
  disabledReason
  displayName
}`) as unknown as TypedDocumentString<AdminEnableUserMutation, AdminEnableUserMutationVariables>;
export const AdminRevokeSessionsDocument = new TypedDocumentString(`
    mutation AdminRevokeSessions($id: ID!) {
  adminRevokeSessions(id: $id) {
    __typename
    ... on UserError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<AdminRevokeSessionsMutation, AdminRevokeSessionsMutationVariables>;
export const AdminResetMfaDocument = new TypedDocumentString(`
    mutation AdminResetMfa($id: ID!) {
  adminResetMfa(id: $id) {
    __typename
    ... on UserError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<AdminResetMfaMutation, AdminResetMfaMutationVariables>;
export const AdminUnlockUserDocument = new TypedDocumentString(`
    mutation AdminUnlockUser($id: ID!) {
  adminUnlockUser(id: $id) {
    __typename
    ... on UserError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<AdminUnlockUserMutation, AdminUnlockUserMutationVariables>;
export const AdminSendPasswordResetDocument = new TypedDocumentString(`
    mutation AdminSendPasswordReset($id: ID!) {
  adminSendPasswordReset(id: $id) {
    __typename
    ... on UserError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<AdminSendPasswordResetMutation, AdminSendPasswordResetMutationVariables>;
export const AdminDeleteUserDocument = new TypedDocumentString(`
    mutation AdminDeleteUser($id: ID!) {
  adminDeleteUser(id: $id) {
    __typename
    ... on UserError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<AdminDeleteUserMutation, AdminDeleteUserMutationVariables>;
export const AdminAuditLogDocument = new TypedDocumentString(`
    query AdminAuditLog($filter: AdminAuditLogFilter, $first: Int, $after: String) {
  adminAuditLog(filter: $filter, first: $first, after: $after) {
    nodes {
      id
      kind
      result
      userId
      actor
      detail
      ip
      createdAt
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<AdminAuditLogQuery, AdminAuditLogQueryVariables>;
export const AuditLogDocument = new TypedDocumentString(`
    query AuditLog($first: Int, $after: String) {
  auditLog(first: $first, after: $after) {
    edges {
      cursor
      node {
        id
        kind
        result
        sessionId
        ip
        userAgent
        createdAt
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<AuditLogQuery, AuditLogQueryVariables>;
export const ChangeEmailDocument = new TypedDocumentString(`
    mutation ChangeEmail($newEmail: String!) {
  changeEmail(newEmail: $newEmail) {
    __typename
    ... on EmailChangeRequested {
      pendingEmail
    }
    ... on StepUpRequired {
      code
      message
      maxAgeSeconds
    }
  }
}
    `) as unknown as TypedDocumentString<ChangeEmailMutation, ChangeEmailMutationVariables>;
export const ConfirmEmailChangeDocument = new TypedDocumentString(`
    mutation ConfirmEmailChange($token: String!) {
  confirmEmailChange(token: $token) {
    __typename
    ... on EmailChanged {
      email
    }
    ... on UserError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ConfirmEmailChangeMutation, ConfirmEmailChangeMutationVariables>;
export const UndoEmailChangeDocument = new TypedDocumentString(`
    mutation UndoEmailChange($token: String!) {
  undoEmailChange(token: $token) {
    __typename
    ... on EmailChanged {
      email
    }
    ... on UserError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<UndoEmailChangeMutation, UndoEmailChangeMutationVariables>;
export const RequestEmailVerificationDocument = new TypedDocumentString(`
    mutation RequestEmailVerification($email: String!) {
  requestEmailVerification(email: $email)
}
    `) as unknown as TypedDocumentString<RequestEmailVerificationMutation, RequestEmailVerificationMutationVariables>;
export const VerifyEmailDocument = new TypedDocumentString(`
    mutation VerifyEmail($token: String!) {
  verifyEmail(token: $token) {
    ...TokenSignInResultFields
  }
}
    fragment TokenSignInResultFields on TokenSignInResult {
  __typename
  ...SignInSuccessFields
  ... on MfaChallenge {
    challengeToken
    expiresAt
  }
  ... on UserError {
    code
    message
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
}`) as unknown as TypedDocumentString<VerifyEmailMutation, VerifyEmailMutationVariables>;
export const RequestPasswordResetDocument = new TypedDocumentString(`
    mutation RequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email)
}
    `) as unknown as TypedDocumentString<RequestPasswordResetMutation, RequestPasswordResetMutationVariables>;
export const ResetPasswordDocument = new TypedDocumentString(`
    mutation ResetPassword($token: String!, $newPassword: String!) {
  resetPassword(token: $token, newPassword: $newPassword) {
    __typename
    ... on PasswordChanged {
      signedOutSessions
    }
    ... on PasswordRejected {
      reasons
    }
    ... on UserError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ResetPasswordMutation, ResetPasswordMutationVariables>;
export const ChangePasswordDocument = new TypedDocumentString(`
    mutation ChangePassword($currentPassword: String!, $newPassword: String!, $signOutOtherSessions: Boolean) {
  changePassword(
    currentPassword: $currentPassword
    newPassword: $newPassword
    signOutOtherSessions: $signOutOtherSessions
  ) {
    __typename
    ... on PasswordChanged {
      signedOutSessions
    }
    ... on PasswordRejected {
      reasons
    }
    ... on StepUpRequired {
      maxAgeSeconds
    }
    ... on UserError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ChangePasswordMutation, ChangePasswordMutationVariables>;
export const RequestMagicLinkDocument = new TypedDocumentString(`
    mutation RequestMagicLink($email: String!) {
  requestMagicLink(email: $email)
}
    `) as unknown as TypedDocumentString<RequestMagicLinkMutation, RequestMagicLinkMutationVariables>;
export const SignInWithMagicLinkDocument = new TypedDocumentString(`
    mutation SignInWithMagicLink($token: String!) {
  signInWithMagicLink(token: $token) {
    ...TokenSignInResultFields
  }
}
    fragment TokenSignInResultFields on TokenSignInResult {
  __typename
  ...SignInSuccessFields
  ... on MfaChallenge {
    challengeToken
    expiresAt
  }
  ... on UserError {
    code
    message
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
}`) as unknown as TypedDocumentString<SignInWithMagicLinkMutation, SignInWithMagicLinkMutationVariables>;
export const CompleteMfaSignInDocument = new TypedDocumentString(`
    mutation CompleteMfaSignIn($challengeToken: String!, $code: String!) {
  completeMfaSignIn(challengeToken: $challengeToken, code: $code) {
    __typename
    ...SignInSuccessFields
    ... on TooManyAttempts {
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
}`) as unknown as TypedDocumentString<CompleteMfaSignInMutation, CompleteMfaSignInMutationVariables>;
export const BeginTotpEnrollmentDocument = new TypedDocumentString(`
    mutation BeginTotpEnrollment {
  beginTotpEnrollment {
    secret
    otpauthUri
  }
}
    `) as unknown as TypedDocumentString<BeginTotpEnrollmentMutation, BeginTotpEnrollmentMutationVariables>;
export const ConfirmTotpEnrollmentDocument = new TypedDocumentString(`
    mutation ConfirmTotpEnrollment($code: String!) {
  confirmTotpEnrollment(code: $code) {
    __typename
    ... on RecoveryCodes {
      codes
    }
    ... on StepUpRequired {
      maxAgeSeconds
    }
    ... on UserError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ConfirmTotpEnrollmentMutation, ConfirmTotpEnrollmentMutationVariables>;
export const DisableTotpDocument = new TypedDocumentString(`
    mutation DisableTotp($code: String!) {
  disableTotp(code: $code)
}
    `) as unknown as TypedDocumentString<DisableTotpMutation, DisableTotpMutationVariables>;
export const ReauthenticateDocument = new TypedDocumentString(`
    mutation Reauthenticate($password: String, $code: String) {
  reauthenticate(password: $password, code: $code) {
    __typename
    ... on Reauthenticated {
      accessToken
      accessTokenExpiresAt
      authTime
    }
    ... on TooManyAttempts {
      retryAfterSeconds
    }
    ... on UserError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ReauthenticateMutation, ReauthenticateMutationVariables>;
export const RegenerateRecoveryCodesDocument = new TypedDocumentString(`
    mutation RegenerateRecoveryCodes($code: String!) {
  regenerateRecoveryCodes(code: $code) {
    __typename
    ... on RecoveryCodes {
      codes
    }
    ... on StepUpRequired {
      maxAgeSeconds
    }
    ... on UserError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<RegenerateRecoveryCodesMutation, RegenerateRecoveryCodesMutationVariables>;
export const BeginPasskeyRegistrationDocument = new TypedDocumentString(`
    mutation BeginPasskeyRegistration {
  beginPasskeyRegistration {
    __typename
    ... on PasskeyOptions {
      options
    }
    ... on StepUpRequired {
      code
      message
      maxAgeSeconds
    }
  }
}
    `) as unknown as TypedDocumentString<BeginPasskeyRegistrationMutation, BeginPasskeyRegistrationMutationVariables>;
export const FinishPasskeyRegistrationDocument = new TypedDocumentString(`
    mutation FinishPasskeyRegistration($response: String!, $name: String) {
  finishPasskeyRegistration(response: $response, name: $name) {
    __typename
    ...PasskeyFields
    ... on UserError {
      code
      message
    }
  }
}
    fragment PasskeyFields on Passkey {
  id
  name
  createdAt
  lastUsedAt
  backupEligible
  backedUp
  transports
  aaguid
}`) as unknown as TypedDocumentString<FinishPasskeyRegistrationMutation, FinishPasskeyRegistrationMutationVariables>;
export const PasskeysDocument = new TypedDocumentString(`
    query Passkeys {
  passkeys {
    ...PasskeyFields
  }
}
    fragment PasskeyFields on Passkey {
  id
  name
  createdAt
  lastUsedAt
  backupEligible
  backedUp
  transports
  aaguid
}`) as unknown as TypedDocumentString<PasskeysQuery, PasskeysQueryVariables>;
export const RenamePasskeyDocument = new TypedDocumentString(`
    mutation RenamePasskey($id: ID!, $name: String!) {
  renamePasskey(id: $id, name: $name) {
    __typename
    ...PasskeyFields
    ... on StepUpRequired {
      maxAgeSeconds
    }
    ... on UserError {
      code
      message
    }
  }
}
    fragment PasskeyFields on Passkey {
  id
  name
  createdAt
  lastUsedAt
  backupEligible
  backedUp
  transports
  aaguid
}`) as unknown as TypedDocumentString<RenamePasskeyMutation, RenamePasskeyMutationVariables>;
export const RemovePasskeyDocument = new TypedDocumentString(`
    mutation RemovePasskey($id: ID!) {
  removePasskey(id: $id) {
    __typename
    ... on PasskeyRemoved {
      id
    }
    ... on StepUpRequired {
      maxAgeSeconds
    }
    ... on UserError {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<RemovePasskeyMutation, RemovePasskeyMutationVariables>;
export const BeginPasskeySignInDocument = new TypedDocumentString(`
    mutation BeginPasskeySignIn($email: String) {
  beginPasskeySignIn(email: $email) {
    options
  }
}
    `) as unknown as TypedDocumentString<BeginPasskeySignInMutation, BeginPasskeySignInMutationVariables>;
export const FinishPasskeySignInDocument = new TypedDocumentString(`
    mutation FinishPasskeySignIn($response: String!) {
  finishPasskeySignIn(response: $response) {
    __typename
    ...SignInSuccessFields
    ... on MfaChallenge {
      challengeToken
      expiresAt
    }
    ... on TooManyAttempts {
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
}`) as unknown as TypedDocumentString<FinishPasskeySignInMutation, FinishPasskeySignInMutationVariables>;
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
export const SocialProvidersDocument = new TypedDocumentString(`
    query SocialProviders {
  socialProviders {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<SocialProvidersQuery, SocialProvidersQueryVariables>;
export const BeginSocialSignInDocument = new TypedDocumentString(`
    mutation BeginSocialSignIn($provider: String!, $redirectTo: String!) {
  beginSocialSignIn(provider: $provider, redirectTo: $redirectTo) {
    authorizationUrl
    expiresAt
    binding
  }
}
    `) as unknown as TypedDocumentString<BeginSocialSignInMutation, BeginSocialSignInMutationVariables>;
export const CompleteSocialSignInDocument = new TypedDocumentString(`
    mutation CompleteSocialSignIn($code: String!, $binding: String!) {
  completeSocialSignIn(code: $code, binding: $binding) {
    __typename
    ...SignInSuccessFields
    ... on MfaChallenge {
      challengeToken
      expiresAt
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
}`) as unknown as TypedDocumentString<CompleteSocialSignInMutation, CompleteSocialSignInMutationVariables>;
export const SignInWithIdTokenDocument = new TypedDocumentString(`
    mutation SignInWithIdToken($provider: String!, $idToken: String!, $nonce: String!) {
  signInWithIdToken(provider: $provider, idToken: $idToken, nonce: $nonce) {
    __typename
    ...SignInSuccessFields
    ... on MfaChallenge {
      challengeToken
      expiresAt
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
}`) as unknown as TypedDocumentString<SignInWithIdTokenMutation, SignInWithIdTokenMutationVariables>;
export const IdentitiesDocument = new TypedDocumentString(`
    query Identities {
  identities {
    ...IdentityFields
  }
}
    fragment IdentityFields on Identity {
  id
  provider
  providerName
  email
  emailVerified
  linkedAt
  lastUsedAt
}`) as unknown as TypedDocumentString<IdentitiesQuery, IdentitiesQueryVariables>;
export const LinkIdentityDocument = new TypedDocumentString(`
    mutation LinkIdentity($provider: String!, $redirectTo: String!) {
  linkIdentity(provider: $provider, redirectTo: $redirectTo) {
    __typename
    ... on SocialAuthorization {
      authorizationUrl
      expiresAt
      binding
    }
    ... on StepUpRequired {
      code
      message
      maxAgeSeconds
    }
  }
}
    `) as unknown as TypedDocumentString<LinkIdentityMutation, LinkIdentityMutationVariables>;
export const CompleteLinkIdentityDocument = new TypedDocumentString(`
    mutation CompleteLinkIdentity($code: String!, $binding: String!) {
  completeLinkIdentity(code: $code, binding: $binding) {
    __typename
    ... on IdentityLinked {
      provider
      identities {
        ...IdentityFields
      }
    }
    ... on UserError {
      code
      message
    }
  }
}
    fragment IdentityFields on Identity {
  id
  provider
  providerName
  email
  emailVerified
  linkedAt
  lastUsedAt
}`) as unknown as TypedDocumentString<CompleteLinkIdentityMutation, CompleteLinkIdentityMutationVariables>;
export const UnlinkIdentityDocument = new TypedDocumentString(`
    mutation UnlinkIdentity($id: ID!) {
  unlinkIdentity(id: $id) {
    __typename
    ... on IdentityUnlinked {
      identities {
        ...IdentityFields
      }
    }
    ... on StepUpRequired {
      code
      message
      maxAgeSeconds
    }
    ... on UserError {
      code
      message
    }
  }
}
    fragment IdentityFields on Identity {
  id
  provider
  providerName
  email
  emailVerified
  linkedAt
  lastUsedAt
}`) as unknown as TypedDocumentString<UnlinkIdentityMutation, UnlinkIdentityMutationVariables>;
export const WebhookEndpointsDocument = new TypedDocumentString(`
    query WebhookEndpoints {
  webhookEndpoints {
    ...WebhookEndpointFields
  }
}
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  events
  description
  enabled
  disabledAt
  disabledReason
  previousSecretExpiresAt
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<WebhookEndpointsQuery, WebhookEndpointsQueryVariables>;
export const WebhookDeliveriesDocument = new TypedDocumentString(`
    query WebhookDeliveries($endpointId: ID!, $status: WebhookDeliveryStatus, $after: String, $first: Int) {
  webhookDeliveries(
    endpointId: $endpointId
    status: $status
    after: $after
    first: $first
  ) {
    edges {
      cursor
      node {
        ...WebhookDeliveryFields
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment WebhookDeliveryFields on WebhookDelivery {
  id
  endpointId
  eventId
  eventType
  status
  attempts
  nextAttemptAt
  lastAttemptAt
  lastStatusCode
  lastError
  deliveredAt
  failedAt
  createdAt
}`) as unknown as TypedDocumentString<WebhookDeliveriesQuery, WebhookDeliveriesQueryVariables>;
export const CreateWebhookEndpointDocument = new TypedDocumentString(`
    mutation CreateWebhookEndpoint($url: String!, $events: [String!]!, $description: String) {
  createWebhookEndpoint(url: $url, events: $events, description: $description) {
    secret
    endpoint {
      ...WebhookEndpointFields
    }
  }
}
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  events
  description
  enabled
  disabledAt
  disabledReason
  previousSecretExpiresAt
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<CreateWebhookEndpointMutation, CreateWebhookEndpointMutationVariables>;
export const UpdateWebhookEndpointDocument = new TypedDocumentString(`
    mutation UpdateWebhookEndpoint($id: ID!, $url: String, $events: [String!], $description: String, $enabled: Boolean) {
  updateWebhookEndpoint(
    id: $id
    url: $url
    events: $events
    description: $description
    enabled: $enabled
  ) {
    ...WebhookEndpointFields
  }
}
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  events
  description
  enabled
  disabledAt
  disabledReason
  previousSecretExpiresAt
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<UpdateWebhookEndpointMutation, UpdateWebhookEndpointMutationVariables>;
export const RotateWebhookSecretDocument = new TypedDocumentString(`
    mutation RotateWebhookSecret($id: ID!) {
  rotateWebhookSecret(id: $id) {
    secret
    endpoint {
      ...WebhookEndpointFields
    }
  }
}
    fragment WebhookEndpointFields on WebhookEndpoint {
  id
  url
  events
  description
  enabled
  disabledAt
  disabledReason
  previousSecretExpiresAt
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<RotateWebhookSecretMutation, RotateWebhookSecretMutationVariables>;
export const DeleteWebhookEndpointDocument = new TypedDocumentString(`
    mutation DeleteWebhookEndpoint($id: ID!) {
  deleteWebhookEndpoint(id: $id)
}
    `) as unknown as TypedDocumentString<DeleteWebhookEndpointMutation, DeleteWebhookEndpointMutationVariables>;
export const RedeliverWebhookDocument = new TypedDocumentString(`
    mutation RedeliverWebhook($deliveryId: ID!) {
  redeliverWebhook(deliveryId: $deliveryId) {
    ...WebhookDeliveryFields
  }
}
    fragment WebhookDeliveryFields on WebhookDelivery {
  id
  endpointId
  eventId
  eventType
  status
  attempts
  nextAttemptAt
  lastAttemptAt
  lastStatusCode
  lastError
  deliveredAt
  failedAt
  createdAt
}`) as unknown as TypedDocumentString<RedeliverWebhookMutation, RedeliverWebhookMutationVariables>;
export const SendTestWebhookDocument = new TypedDocumentString(`
    mutation SendTestWebhook($endpointId: ID!) {
  sendTestWebhook(endpointId: $endpointId) {
    ...WebhookDeliveryFields
  }
}
    fragment WebhookDeliveryFields on WebhookDelivery {
  id
  endpointId
  eventId
  eventType
  status
  attempts
  nextAttemptAt
  lastAttemptAt
  lastStatusCode
  lastError
  deliveredAt
  failedAt
  createdAt
}`) as unknown as TypedDocumentString<SendTestWebhookMutation, SendTestWebhookMutationVariables>;