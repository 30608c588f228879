import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { SignInService } from '../auth/sign-in.service.js';
import type { Context } from '../context.js';
import { SignInInput } from '../schema/inputs.type.js';
import { SignInResult } from '../schema/results.type.js';
import { EmailNotVerified, InvalidCredentials, TooManyAttempts } from '../schema/user-error.type.js';
import { toMfaChallenge, toSignInSuccess } from './mappers.js';

@Resolver()
export class SignInResolver {
  constructor(private readonly signInService: SignInService) {}

  @Mutation(() => SignInResult)
  async signIn(
    @Arg('input', () => SignInInput) input: SignInInput,
    @Ctx() context: Context,
  ): Promise<typeof SignInResult> {
    const outcome = await this.signInService.execute(context.em, input, context.client);
    switch (outcome.kind) {
      case 'signed-in':
        return toSignInSuccess(outcome.signedIn, context);
      case 'mfa-required':
        return toMfaChallenge(outcome.challenge);
      case 'invalid-credentials':
      case 'account-disabled': // told like a wrong password; the audit event says `account-disabled`
        return new InvalidCredentials();
      case 'too-many-attempts':
        return new TooManyAttempts(outcome.retryAfterSeconds);
      case 'email-not-verified':
        return new EmailNotVerified();
    }
  }
}
