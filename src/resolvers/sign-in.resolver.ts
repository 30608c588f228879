import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { SignInService } from '../auth/sign-in.service.js';
import type { Context } from '../context.js';
import { SignInInput } from '../schema/inputs.type.js';
import { SignInResult } from '../schema/results.type.js';
import { InvalidCredentials, TooManyAttempts } from '../schema/user-error.type.js';
import { toCompletedSignIn } from './mappers.js';

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
      case 'invalid-credentials':
        return new InvalidCredentials();
      case 'too-many-attempts':
        return new TooManyAttempts(outcome.retryAfterSeconds);
      default: // a disabled account is told like a wrong password
        return toCompletedSignIn(outcome, context, () => new InvalidCredentials());
    }
  }
}
