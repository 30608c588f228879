import { generateSync } from 'otplib';
import { bearer, gql, SIGN_IN, SIGN_IN_SUCCESS_FIELDS, signUpUser } from './graphql.js';
import type { SignedInUser } from './graphql.js';

/** beginTotpEnrollment, disableTotp and signOutEverywhere keep the contract's types: a stale session is the top-level STEP_UP_REQUIRED. */
export const BEGIN = `mutation { beginTotpEnrollment { secret otpauthUri } }`;

const CODES_RESULT = `__typename ... on RecoveryCodes { codes } ... on UserError { code message } ... on StepUpRequired { maxAgeSeconds }`;

export const CONFIRM = `mutation Confirm($code: String!) { confirmTotpEnrollment(code: $code) { ${CODES_RESULT} } }`;

export const REGENERATE = `mutation Regenerate($code: String!) { regenerateRecoveryCodes(code: $code) { ${CODES_RESULT} } }`;

export const DISABLE = `mutation Disable($code: String!) { disableTotp(code: $code) }`;

export const COMPLETE = `mutation Complete($challengeToken: String!, $code: String!) {
  completeMfaSignIn(challengeToken: $challengeToken, code: $code) {
    ${SIGN_IN_SUCCESS_FIELDS}
    ... on TooManyAttempts { retryAfterSeconds }
  }
}`;

const STEP_SECONDS = 30;

/** The code an authenticator app shows `offsetSeconds` from now (−60 is two steps old). */
export function codeAt(secret: string, offsetSeconds = 0): string {
  return generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSeconds });
}

/** A six-digit code that is none of the codes within two steps of now. */
export function wrongCode(secret: string): string {
  const near = new Set([-60, -30, 0, 30, 60].map((offset) => codeAt(secret, offset)));
  for (let n = 123456; ; n += 111111) {
    const candidate = String(n % 1_000_000).padStart(6, '0');
    if (!near.has(candidate)) return candidate;
  }
}

/**
 * Codes are per 30 s step: a test that counts on "the current step" waits for a fresh step
 * when fewer than `seconds` remain, so that the step cannot change halfway through.
 */
export async function withinOneStep(seconds = 12): Promise<void> {
  const left = STEP_SECONDS - ((Date.now() / 1000) % STEP_SECONDS);
  if (left < seconds) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 200));
}

export function accessTokenAmr(accessToken: string): string[] {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8'));
  return payload.amr as string[];
}

export interface EnrolledUser extends SignedInUser {
  secret: string;
  recoveryCodes: string[];
}

/**
 * A new user with TOTP on, confirmed with the code of the previous step (inside the ±1 window):
 * the current and the next step's codes stay free for the test. Call after withinOneStep().
 */
export async function enrolledUser(url: string): Promise<EnrolledUser> {
  const user = await signUpUser(url);
  const begin = await gql(url, BEGIN, {}, bearer(user.accessToken));
  const secret = begin.body.data?.beginTotpEnrollment.secret as string;
  const confirm = await gql(url, CONFIRM, { code: codeAt(secret, -30) }, bearer(user.accessToken));
  const result = confirm.body.data?.confirmTotpEnrollment;
  if (result?.__typename !== 'RecoveryCodes') throw new Error(`enrollment failed: ${confirm.text}`);
  return { ...user, secret, recoveryCodes: result.codes };
}

/** Signs in with the password and returns the challenge token (fails if no challenge came). */
export async function challengeFor(url: string, email: string, password: string): Promise<string> {
  const response = await gql(url, SIGN_IN, { email, password });
  const result = response.body.data?.signIn;
  if (result?.__typename !== 'MfaChallenge') throw new Error(`expected MfaChallenge: ${response.text}`);
  return result.challengeToken as string;
}

export async function complete(url: string, challengeToken: string, code: string) {
  const response = await gql(url, COMPLETE, { challengeToken, code });
  return response.body.data?.completeMfaSignIn;
}
