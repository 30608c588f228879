import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { EmailVerificationService } from '../auth/email-verification.service.js';
import type { MagicLinkService } from '../auth/magic-link.service.js';
import type { TokenSignInOutcome } from '../auth/email-verification.service.js';
import type { Context } from '../context.js';
import { TokenSignInResult } from '../schema/results.type.js';
import { InvalidToken } from '../schema/user-error.type.js';
import { toMfaChallenge, toSignInSuccess } from './mappers.js';

/** Verification and magic-link mutations: both sign in with a token that came by mail. */
@Resolver()
export class EmailLinkResolver {
  constructor(
    private readonly verification: EmailVerificationService,
    private readonly magicLinks: MagicLinkService,
  ) {}

  @Mutation(() => Boolean, {
    description: 'Always true: the answer never says whether the email is registered.',
  })
  async requestEmailVerification(
    @Arg('email', () => String) email: string,
    @Ctx() context: Context,
  ): Promise<boolean> {
    return this.verification.request(context.em, email);
  }

  @Mutation(() => TokenSignInResult)
  async verifyEmail(
    @Arg('token', () => String) token: string,
    @Ctx() context: Context,
  ): Promise<typeof TokenSignInResult> {
    return toTokenSignInResult(await this.verification.verify(context.em, token, context.client), context);
  }

  @Mutation(() => Boolean, { description: 'Always true.' })
  async requestMagicLink(
    @Arg('email', () => String) email: string,
    @Ctx() context: Context,
  ): Promise<boolean> {
    return this.magicLinks.request(context.em, email);
  }

  @Mutation(() => TokenSignInResult)
  async signInWithMagicLink(
    @Arg('token', () => String) token: string,
    @Ctx() context: Context,
  ): Promise<typeof TokenSignInResult> {
    return toTokenSignInResult(await this.magicLinks.signIn(context.em, token, context.client), context);
  }
}

function toTokenSignInResult(outcome: TokenSignInOutcome, context: Context): typeof TokenSignInResult {
  switch (outcome.kind) {
    case 'signed-in':
      return toSignInSuccess(outcome.signedIn, context);
    case 'mfa-required':
      return toMfaChallenge(outcome.challenge);
    case 'invalid-token':
    case 'account-disabled': // no hint; the audit event says `account-disabled`
      return new InvalidToken();
    case 'email-not-verified':
      // Unreachable: following an emailed link verifies the address before the policy is applied.
      throw new Error('an emailed link left the address unverified');
  }
}
