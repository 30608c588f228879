import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { MfaChallengeService } from '../auth/mfa-challenge.service.js';
import type { RecoveryCodesOutcome, TotpEnrollmentService } from '../auth/totp-enrollment.service.js';
import type { Context } from '../context.js';
import { requireAuth } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { RecoveryCodes, TotpEnrollment } from '../schema/payloads.type.js';
import { CompleteMfaResult, MfaCodeResult } from '../schema/results.type.js';
import { InvalidMfaCode, InvalidToken, TooManyAttempts } from '../schema/user-error.type.js';
import { toSignInSuccess } from './mappers.js';

function toMfaCodeResult(outcome: RecoveryCodesOutcome): typeof MfaCodeResult {
  if (outcome.kind === 'invalid-code') return new InvalidMfaCode();
  return Object.assign(new RecoveryCodes(), { codes: outcome.codes });
}

@Resolver()
export class MfaResolver {
  constructor(
    private readonly enrollment: TotpEnrollmentService,
    private readonly challenges: MfaChallengeService,
  ) {}

  @Mutation(() => CompleteMfaResult)
  // Declared code-first: type-graphql lists arguments in reverse, and the contract reads (challengeToken, code).
  async completeMfaSignIn(
    @Arg('code', () => String) code: string,
    @Arg('challengeToken', () => String) challengeToken: string,
    @Ctx() context: Context,
  ): Promise<typeof CompleteMfaResult> {
    const outcome = await this.challenges.complete(context.em, challengeToken, code, context.client);
    switch (outcome.kind) {
      case 'signed-in':
        return toSignInSuccess(outcome.signedIn, context);
      case 'invalid-code':
        return new InvalidMfaCode();
      case 'invalid-token':
      case 'account-disabled': // disabled between the password and the code
        return new InvalidToken();
      case 'challenge-ended':
        return new InvalidToken('Too many wrong codes: this sign-in has ended. Sign in again.');
      case 'too-many-attempts':
        return new TooManyAttempts(outcome.retryAfterSeconds);
      case 'mfa-required':
      case 'email-not-verified':
        // Unreachable: the code adds the second factor, and the first factor already passed the policy.
        throw new Error(`completeMfaSignIn ended in ${outcome.kind}`);
    }
  }

  @Authorized()
  @Mutation(() => TotpEnrollment)
  async beginTotpEnrollment(@Ctx() context: Context): Promise<TotpEnrollment> {
    const outcome = await this.enrollment.begin(context.em, requireAuth(context).userId);
    if (outcome.kind === 'already-enabled') {
      throw new BadUserInputError('Two-factor authentication is already on; disable it first.');
    }
    return Object.assign(new TotpEnrollment(), { secret: outcome.secret, otpauthUri: outcome.otpauthUri });
  }

  @Authorized()
  @Mutation(() => MfaCodeResult)
  async confirmTotpEnrollment(
    @Arg('code', () => String) code: string,
    @Ctx() context: Context,
  ): Promise<typeof MfaCodeResult> {
    const auth = requireAuth(context);
    return toMfaCodeResult(await this.enrollment.confirm(context.em, auth.userId, code, context.client));
  }

  @Authorized()
  @Mutation(() => Boolean)
  async disableTotp(@Arg('code', () => String) code: string, @Ctx() context: Context): Promise<boolean> {
    return this.enrollment.disable(context.em, requireAuth(context).userId, code, context.client);
  }

  @Authorized()
  @Mutation(() => MfaCodeResult)
  async regenerateRecoveryCodes(
    @Arg('code', () => String) code: string,
    @Ctx() context: Context,
  ): Promise<typeof MfaCodeResult> {
    const auth = requireAuth(context);
    return toMfaCodeResult(
      await this.enrollment.regenerateRecoveryCodes(context.em, auth.userId, code, context.client),
    );
  }
}
