// Compiled by test/unit/client-types.test.ts, not by the project's tsconfig: it must FAIL to
// type-check, because the generated types make a wrong union member a type error.
import type { SignInMutation } from '../../client/generated/graphql.js';

export function accessTokenOf(result: SignInMutation['signIn']): string {
  if (result.__typename === 'InvalidCredentials') {
    // Wrong: an InvalidCredentials result has no tokens.
    return result.tokens.accessToken;
  }
  return '';
}
