import type { TestDatabase } from './database.js';
import { SIGN_IN_SUCCESS_FIELDS } from './graphql.js';
import { startServer } from './server.js';
import type { TestServer } from './server.js';

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
): Promise<TestServer> {
  return startServer(database, {
    SMTP_URL: smtpUrl,
    MAIL_FROM: 'Plinto <no-reply@plinto.test>',
    MAIL_POLL_INTERVAL_MS: '50',
    MAIL_RETRY_BASE_MS: '50',
    MAIL_RETRY_MAX_MS: '200',
    MAIL_SEND_TIMEOUT_MS: '2000',
    SIGNUP_MODE: 'verify-first',
    RATE_LIMITS_ENABLED: 'false',
    ...overrides,
  });
}
