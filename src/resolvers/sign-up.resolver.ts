import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { SignUpService } from '../auth/sign-up.service.js';
import type { Context } from '../context.js';
import { SignUpInput } from '../schema/inputs.type.js';
import { VerificationRequired } from '../schema/payloads.type.js';
import { SignUpResult } from '../schema/results.type.js';
import { EmailTaken, PasswordRejected } from '../schema/user-error.type.js';
import { toSignInSuccess } from './mappers.js';

@Resolver()
export class SignUpResolver {
  constructor(private readonly signUpService: SignUpService) {}

  @Mutation(() => SignUpResult)
  async signUp(
    @Arg('input', () => SignUpInput) input: SignUpInput,
    @Ctx() context: Context,
  ): Promise<typeof SignUpResult> {
    const outcome = await this.signUpService.execute(context.em, input, context.client);
    switch (outcome.kind) {
      case 'signed-in':
        return toSignInSuccess(outcome.signedIn, context);
      case 'verification-required':
        return Object.assign(new VerificationRequired(), { email: outcome.email });
      case 'password-rejected':
        return new PasswordRejected(outcome.reasons);
      case 'email-taken':
        return new EmailTaken();
    }
  }
}
