/* eslint-disable */
import * as types from './graphql.js';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment UserFields on User {\n  id\n  email\n  emailVerified\n  mfaEnabled\n  createdAt\n}\n\nfragment SessionFields on Session {\n  id\n  createdAt\n  lastUsedAt\n  expiresAt\n  ip\n  userAgent\n  current\n}\n\nfragment SignInSuccessFields on SignInSuccess {\n  user {\n    ...UserFields\n  }\n  session {\n    ...SessionFields\n  }\n  tokens {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n    refreshTokenExpiresAt\n    tokenType\n  }\n}": typeof types.UserFieldsFragmentDoc,
    "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    __typename\n    ...SignInSuccessFields\n    ... on VerificationRequired {\n      email\n    }\n    ... on PasswordRejected {\n      code\n      message\n      reasons\n    }\n    ... on UserError {\n      code\n      message\n    }\n  }\n}\n\nmutation SignIn($input: SignInInput!) {\n  signIn(input: $input) {\n    __typename\n    ...SignInSuccessFields\n    ... on MfaChallenge {\n      challengeToken\n      expiresAt\n    }\n    ... on TooManyAttempts {\n      code\n      message\n      retryAfterSeconds\n    }\n    ... on UserError {\n      code\n      message\n    }\n  }\n}\n\nmutation RefreshSession($refreshToken: String) {\n  refreshSession(refreshToken: $refreshToken) {\n    __typename\n    ...SignInSuccessFields\n    ... on UserError {\n      code\n      message\n    }\n  }\n}\n\nmutation SignOut {\n  signOut\n}\n\nmutation SignOutEverywhere {\n  signOutEverywhere\n}\n\nmutation RevokeSession($id: ID!) {\n  revokeSession(id: $id)\n}\n\nquery Me {\n  me {\n    ...UserFields\n  }\n}\n\nquery Sessions {\n  sessions {\n    ...SessionFields\n  }\n}": typeof types.SignUpDocument,
};
const documents: Documents = {
    "fragment UserFields on User {\n  id\n  email\n  emailVerified\n  mfaEnabled\n  createdAt\n}\n\nfragment SessionFields on Session {\n  id\n  createdAt\n  lastUsedAt\n  expiresAt\n  ip\n  userAgent\n  current\n}\n\nfragment SignInSuccessFields on SignInSuccess {\n  user {\n    ...UserFields\n  }\n  session {\n    ...SessionFields\n  }\n  tokens {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n    refreshTokenExpiresAt\n    tokenType\n  }\n}": types.UserFieldsFragmentDoc,
    "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    __typename\n    ...SignInSuccessFields\n    ... on VerificationRequired {\n      email\n    }\n    ... on PasswordRejected {\n      code\n      message\n      reasons\n    }\n    ... on UserError {\n      code\n      message\n    }\n  }\n}\n\nmutation SignIn($input: SignInInput!) {\n  signIn(input: $input) {\n    __typename\n    ...SignInSuccessFields\n    ... on MfaChallenge {\n      challengeToken\n      expiresAt\n    }\n    ... on TooManyAttempts {\n      code\n      message\n      retryAfterSeconds\n    }\n    ... on UserError {\n      code\n      message\n    }\n  }\n}\n\nmutation RefreshSession($refreshToken: String) {\n  refreshSession(refreshToken: $refreshToken) {\n    __typename\n    ...SignInSuccessFields\n    ... on UserError {\n      code\n      message\n    }\n  }\n}\n\nmutation SignOut {\n  signOut\n}\n\nmutation SignOutEverywhere {\n  signOutEverywhere\n}\n\nmutation RevokeSession($id: ID!) {\n  revokeSession(id: $id)\n}\n\nquery Me {\n  me {\n    ...UserFields\n  }\n}\n\nquery Sessions {\n  sessions {\n    ...SessionFields\n  }\n}": types.SignUpDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment UserFields on User {\n  id\n  email\n  emailVerified\n  mfaEnabled\n  createdAt\n}\n\nfragment SessionFields on Session {\n  id\n  createdAt\n  lastUsedAt\n  expiresAt\n  ip\n  userAgent\n  current\n}\n\nfragment SignInSuccessFields on SignInSuccess {\n  user {\n    ...UserFields\n  }\n  session {\n    ...SessionFields\n  }\n  tokens {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n    refreshTokenExpiresAt\n    tokenType\n  }\n}"): typeof import('./graphql.js').UserFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    __typename\n    ...SignInSuccessFields\n    ... on VerificationRequired {\n      email\n    }\n    ... on PasswordRejected {\n      code\n      message\n      reasons\n    }\n    ... on UserError {\n      code\n      message\n    }\n  }\n}\n\nmutation SignIn($input: SignInInput!) {\n  signIn(input: $input) {\n    __typename\n    ...SignInSuccessFields\n    ... on MfaChallenge {\n      challengeToken\n      expiresAt\n    }\n    ... on TooManyAttempts {\n      code\n      message\n      retryAfterSeconds\n    }\n    ... on UserError {\n      code\n      message\n    }\n  }\n}\n\nmutation RefreshSession($refreshToken: String) {\n  refreshSession(refreshToken: $refreshToken) {\n    __typename\n    ...SignInSuccessFields\n    ... on UserError {\n      code\n      message\n    }\n  }\n}\n\nmutation SignOut {\n  signOut\n}\n\nmutation SignOutEverywhere {\n  signOutEverywhere\n}\n\nmutation RevokeSession($id: ID!) {\n  revokeSession(id: $id)\n}\n\nquery Me {\n  me {\n    ...UserFields\n  }\n}\n\nquery Sessions {\n  sessions {\n    ...SessionFields\n  }\n}"): typeof import('./graphql.js').SignUpDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
