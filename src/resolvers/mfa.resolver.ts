import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { MfaChallengeService } from '../auth/mfa-challenge.service.js';
import type { MfaRecoveryService } from '../auth/mfa-recovery.service.js';
import type { RecoveryCodesOutcome, TotpEnrollmentService } from '../auth/totp-enrollment.service.js';
import type { Context } from '../context.js';
import { requireAuth } from '../context.js';
import { BadUserInputError, StepUpRequiredError } from '../errors.js';
import type { StepUpService } from '../auth/step-up.js';
import { RecoveryCodes, TotpEnrollment } from '../schema/payloads.type.js';
import { CompleteMfaResult, MfaCodeResult } from '../schema/results.type.js';
import { InvalidMfaCode, InvalidToken, StepUpRequired, TooManyAttempts } from '../schema/user-error.type.js';
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
    private readonly stepUp: StepUpService,
    private readonly recovery: MfaRecoveryService,
  ) {}

  @Mutation(() => Boolean, {
    description:
      'Lost second factor: mails a recovery link to the address if it has an account with TOTP on. Always true.',
  })
  async requestMfaRecovery(
    @Arg('email', () => String) email: string,
    @Ctx() context: Context,
  ): Promise<boolean> {
    return this.recovery.request(context.em, email);
  }

  @Mutation(() => Boolean, {
    description:
      'Uses the mailed recovery link: the second factor is removed after the waiting period (MFA_RECOVERY_DELAY_SECONDS) at the next sign-in, unless cancelled. False: the link is unknown, used or expired.',
  })
  async startMfaRecovery(
    @Arg('token', () => String) token: string,
    @Ctx() context: Context,
  ): Promise<boolean> {
    return (await this.recovery.start(context.em, token, context.client)) !== null;
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      'Cancels a waiting lost-second-factor recovery from any signed-in session. False: none was waiting.',
  })
  async cancelMfaRecovery(@Ctx() context: Context): Promise<boolean> {
    return this.recovery.cancel(context.em, requireAuth(context), context.client);
  }

  /** Step-up for the contract's non-union mutations: throws STEP_UP_REQUIRED when the session is not recent. */
  private async requireStepUp(context: Context): Promise<void> {
    if (!(await this.stepUp.isRecent(context.em, requireAuth(context)))) {
      throw new StepUpRequiredError(this.stepUp.maxAgeSeconds);
    }
  }

  /** Step-up: null when the session authenticated recently enough, else the union member to answer. */
  private async stepUpRefusal(context: Context): Promise<StepUpRequired | null> {
    if (await this.stepUp.isRecent(context.em, requireAuth(context))) return null;
    return new StepUpRequired(this.stepUp.maxAgeSeconds);
  }

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
    await this.requireStepUp(context);
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
    const refusal = await this.stepUpRefusal(context);
    if (refusal) return refusal;
    return toMfaCodeResult(await this.enrollment.confirm(context.em, auth.userId, code, context.client));
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      'True when TOTP was turned off; false for a wrong code or when TOTP is not on (needs a recent authentication).',
  })
  async disableTotp(@Arg('code', () => String) code: string, @Ctx() context: Context): Promise<boolean> {
    await this.requireStepUp(context);
    const disabled = await this.enrollment.disable(
      context.em,
      requireAuth(context).userId,
      code,
      context.client,
    );
    return disabled;
  }

  @Authorized()
  @Mutation(() => MfaCodeResult)
  async regenerateRecoveryCodes(
    @Arg('code', () => String) code: string,
    @Ctx() context: Context,
  ): Promise<typeof MfaCodeResult> {
    const auth = requireAuth(context);
    const refusal = await this.stepUpRefusal(context);
    if (refusal) return refusal;
    return toMfaCodeResult(
      await this.enrollment.regenerateRecoveryCodes(context.em, auth.userId, code, context.client),
    );
  }
}
