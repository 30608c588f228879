export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  body: { data?: T | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

/** POSTs a GraphQL document the way a client does. */
export async function gql<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: GraphQLResponse<T>['body'];
  try {
    body = JSON.parse(text) as GraphQLResponse<T>['body'];
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, text, body };
}

export function bearer(accessToken: string): Record<string, string> {
  return { authorization: `Bearer ${accessToken}` };
}

export const SIGN_IN_SUCCESS_FIELDS = `
  __typename
  ... on SignInSuccess {
    user { id email emailVerified mfaEnabled createdAt }
    session { id current }
    tokens { accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt tokenType }
  }
  ... on UserError { code message }
`;

export const SIGN_UP = `mutation SignUp($email: String!, $password: String!) {
  signUp(input: { email: $email, password: $password }) {
    ${SIGN_IN_SUCCESS_FIELDS}
    ... on PasswordRejected { reasons }
    ... on VerificationRequired { email }
  }
}`;

export const SIGN_IN = `mutation SignIn($email: String!, $password: String!) {
  signIn(input: { email: $email, password: $password }) {
    ${SIGN_IN_SUCCESS_FIELDS}
    ... on TooManyAttempts { retryAfterSeconds }
    ... on MfaChallenge { challengeToken expiresAt }
  }
}`;

export const REFRESH = `mutation Refresh($refreshToken: String) {
  refreshSession(refreshToken: $refreshToken) { ${SIGN_IN_SUCCESS_FIELDS} }
}`;

export const ME = `query Me { me { id email emailVerified mfaEnabled createdAt } }`;

export const STRONG_PASSWORD = 'correct horse battery staple 42';

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

export interface SignedInUser {
  email: string;
  password: string;
  userId: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
}

/** Signs a new user up (SIGNUP_MODE=immediate) and returns the tokens. */
export async function signUpUser(
  url: string,
  email = uniqueEmail(),
  password = STRONG_PASSWORD,
): Promise<SignedInUser> {
  const response = await gql(url, SIGN_UP, { email, password });
  const result = response.body.data?.signUp;
  if (result?.__typename !== 'SignInSuccess') {
    throw new Error(`sign-up did not sign in: ${response.text}`);
  }
  return {
    email,
    password,
    userId: result.user.id,
    sessionId: result.session.id,
    accessToken: result.tokens.accessToken,
    refreshToken: result.tokens.refreshToken,
  };
}
