import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { ReauthenticationService } from '../auth/reauthentication.service.js';
import type { Context } from '../context.js';
import { requireAuth } from '../context.js';
import { Reauthenticated } from '../schema/payloads.type.js';
import { ReauthenticateResult } from '../schema/results.type.js';
import { InvalidCredentials, InvalidMfaCode, TooManyAttempts } from '../schema/user-error.type.js';

/** Step-up ("sudo mode", account-integrity issue): `reauthenticate` refreshes the session's auth time. */
@Resolver()
export class StepUpResolver {
  constructor(private readonly reauthentication: ReauthenticationService) {}

  @Authorized()
  @Mutation(() => ReauthenticateResult, {
    description:
      'Proves a factor again (exactly one of password, or a TOTP or recovery code) so that sensitive changes ' +
      'answer again instead of StepUpRequired. Returns a new access token whose auth_time is now.',
  })
  // Declared code-first: type-graphql lists arguments in reverse, and the contract reads (password, code).
  async reauthenticate(
    @Arg('code', () => String, { nullable: true }) code: string | null | undefined,
    @Arg('password', () => String, { nullable: true }) password: string | null | undefined,
    @Ctx() context: Context,
  ): Promise<typeof ReauthenticateResult> {
    const outcome = await this.reauthentication.reauthenticate(
      context.em,
      requireAuth(context),
      { password, code },
      context.client,
    );
    switch (outcome.kind) {
      case 'reauthenticated':
        return Object.assign(new Reauthenticated(), outcome.token);
      case 'invalid-credentials':
        return new InvalidCredentials();
      case 'invalid-code':
        return new InvalidMfaCode();
      case 'too-many-attempts':
        return new TooManyAttempts(outcome.retryAfterSeconds);
    }
  }
}
