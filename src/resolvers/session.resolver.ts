import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { SessionService } from '../auth/session.service.js';
import type { Context } from '../context.js';
import { requireAuth } from '../context.js';
import type { StepUpService } from '../auth/step-up.js';
import { StepUpRequiredError } from '../errors.js';
import { RefreshResult } from '../schema/results.type.js';
import { SessionType } from '../schema/session.type.js';
import { InvalidToken } from '../schema/user-error.type.js';
import { clearRefreshCookie, refreshTokenFromCookie, toSession, toSignInSuccess } from './mappers.js';

@Resolver()
export class SessionResolver {
  constructor(
    private readonly sessionsService: SessionService,
    private readonly stepUp: StepUpService,
  ) {}

  @Mutation(() => RefreshResult, {
    description:
      'Takes the refresh token from the argument, or from the refresh cookie when the argument is absent.',
  })
  async refreshSession(
    @Arg('refreshToken', () => String, { nullable: true }) refreshToken: string | null | undefined,
    @Ctx() context: Context,
  ): Promise<typeof RefreshResult> {
    const fromCookie = refreshToken === null || refreshToken === undefined;
    const presented = fromCookie ? refreshTokenFromCookie(context) : refreshToken;
    if (!presented) return new InvalidToken('No refresh token was presented.');
    const outcome = await this.sessionsService.refresh(context.em, presented, context.client);
    if (outcome.kind === 'invalid-token') {
      clearRefreshCookie(context);
      return new InvalidToken();
    }
    return toSignInSuccess(outcome.signedIn, context, fromCookie);
  }

  @Authorized()
  @Mutation(() => Boolean)
  async signOut(@Ctx() context: Context): Promise<boolean> {
    const auth = requireAuth(context);
    clearRefreshCookie(context);
    return this.sessionsService.revoke(context.em, auth.userId, auth.sessionId, 'sign-out', context.client);
  }

  @Authorized()
  @Mutation(() => Int, {
    description:
      'Revokes every session of the user, this one included; returns how many (needs a recent authentication).',
  })
  async signOutEverywhere(@Ctx() context: Context): Promise<number> {
    const auth = requireAuth(context);
    // Step-up: a stolen token must not be able to sign the owner out of every device.
    if (!(await this.stepUp.isRecent(context.em, auth)))
      throw new StepUpRequiredError(this.stepUp.maxAgeSeconds);
    clearRefreshCookie(context);
    const count = await this.sessionsService.revokeAll(context.em, auth.userId, 'sign-out-everywhere', {
      client: context.client,
    });
    return count;
  }

  @Authorized()
  @Mutation(() => Boolean)
  async revokeSession(@Arg('id', () => ID) id: string, @Ctx() context: Context): Promise<boolean> {
    const auth = requireAuth(context);
    return this.sessionsService.revoke(context.em, auth.userId, id, 'revoked', context.client);
  }

  @Authorized()
  @Query(() => [SessionType], { description: "The signed-in user's live sessions." })
  async sessions(@Ctx() context: Context): Promise<SessionType[]> {
    const auth = requireAuth(context);
    const sessions = await this.sessionsService.list(context.em, auth.userId);
    return sessions.map((s) => toSession(s, auth.sessionId));
  }
}
