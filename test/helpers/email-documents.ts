import type { TestDatabase } from './database.js';
import { gql, SIGN_IN, SIGN_IN_SUCCESS_FIELDS, SIGN_UP, STRONG_PASSWORD, uniqueEmail } from './graphql.js';
import { startServer } from './server.js';
import type { StartServerOptions, TestServer } from './server.js';
import { linkIn } from './smtp.js';
import type { TestSmtpServer } from './smtp.js';

export const REQUEST_EMAIL_VERIFICATION = `mutation($email: String!) { requestEmailVerification(email: $email) }`;
export const REQUEST_PASSWORD_RESET = `mutation($email: String!) { requestPasswordReset(email: $email) }`;
export const REQUEST_MAGIC_LINK = `mutation($email: String!) { requestMagicLink(email: $email) }`;

const TOKEN_SIGN_IN_FIELDS = `${SIGN_IN_SUCCESS_FIELDS} ... on MfaChallenge { challengeToken expiresAt }`;

export const VERIFY_EMAIL = `mutation($token: String!) { verifyEmail(token: $token) { ${TOKEN_SIGN_IN_FIELDS} } }`;
export const SIGN_IN_WITH_MAGIC_LINK = `mutation($token: String!) {
  signInWithMagicLink(token: $token) { ${TOKEN_SIGN_IN_FIELDS} }
}`;
export const RESET_PASSWORD = `mutation($token: String!, $newPassword: String!) {
  resetPassword(token: $token, newPassword: $newPassword) {
    __typename
    ... on PasswordChanged { signedOutSessions }
    ... on UserError { code message }
    ... on PasswordRejected { reasons }
  }
}`;
export const CHANGE_PASSWORD = `mutation($current: String!, $next: String!, $others: Boolean) {
  changePassword(currentPassword: $current, newPassword: $next, signOutOtherSessions: $others) {
    __typename
    ... on PasswordChanged { signedOutSessions }
    ... on UserError { code message }
    ... on PasswordRejected { reasons }
  }
}`;

/** A server that sends real mail to `smtpUrl`, polls the outbox fast and retries quickly. */
export function startMailServer(
  database: TestDatabase,
  smtpUrl: string,
  overrides: Record<string, string | undefined> = {},
  options: StartServerOptions = {},
): Promise<TestServer> {
  return startServer(
    database,
    {
      SMTP_URL: smtpUrl,
      MAIL_FROM: 'Plinto <no-reply@plinto.test>',
      MAIL_POLL_INTERVAL_MS: '50',
      MAIL_RETRY_BASE_MS: '50',
      MAIL_RETRY_MAX_MS: '200',
      MAIL_SEND_TIMEOUT_MS: '2000',
      SIGNUP_MODE: 'verify-first',
      RATE_LIMITS_ENABLED: 'false',
      ...overrides,
    },
    options,
  );
}

/** Shared steps of the email-flow tests: sign in, a verified user, the token of a mailed link. */
export function emailFlowHelpers(server: () => TestServer, smtp: () => TestSmtpServer) {
  async function signIn(email: string, password: string) {
    const response = await gql(server().url, SIGN_IN, { email, password });
    return response.body.data?.signIn;
  }

  /** Signs up (verify-first), follows the mailed link, and returns the signed-in user. */
  async function verifiedUser(email = uniqueEmail('verified')) {
    await gql(server().url, SIGN_UP, { email, password: STRONG_PASSWORD });
    const { token } = linkIn(await smtp().waitFor(email, /Confirm your email/), '/verify-email');
    const verified = await gql(server().url, VERIFY_EMAIL, { token });
    const success = verified.body.data?.verifyEmail;
    if (success?.__typename !== 'SignInSuccess') throw new Error(`verification failed: ${verified.text}`);
    const tokens = success.tokens as { accessToken: string; refreshToken: string };
    // The first mailbox proof clears the sign-up password (pre-account hijacking): the owner sets
    // it again from the link's fresh session, as the hosted pages do.
    const set = await gql(
      server().url,
      CHANGE_PASSWORD,
      { current: '', next: STRONG_PASSWORD, others: false },
      { authorization: `Bearer ${tokens.accessToken}` },
    );
    if (set.body.data?.changePassword.__typename !== 'PasswordChanged')
      throw new Error(`setting the password failed: ${set.text}`);
    return { email, tokens };
  }

  async function mailedToken(
    document: string,
    email: string,
    subject: RegExp,
    path: '/reset-password' | '/magic-link',
    count = 1,
  ) {
    const response = await gql(server().url, document, { email });
    if (Object.values(response.body.data ?? {})[0] !== true)
      throw new Error(`request failed: ${response.text}`);
    const mails = await smtp().waitForCount(email, subject, count);
    return linkIn(mails[count - 1]!, path).token;
  }

  return { signIn, verifiedUser, mailedToken };
}
