// The same function written correctly: it type-checks (compiled by test/unit/client-types.test.ts).
import type { SignInMutation } from '../../client/generated/graphql.js';

export function accessTokenOf(result: SignInMutation['signIn']): string | null {
  switch (result.__typename) {
    case 'SignInSuccess':
      return result.tokens.accessToken;
    case 'TooManyAttempts':
      return `retry in ${result.retryAfterSeconds}s`;
    default:
      return null;
  }
}
