import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { PasswordChangeService } from '../auth/password-change.service.js';
import type { PasswordResetService } from '../auth/password-reset.service.js';
import type { Context } from '../context.js';
import { requireAuth } from '../context.js';
import { PasswordChanged } from '../schema/payloads.type.js';
import { ChangePasswordResult, ResetPasswordResult } from '../schema/results.type.js';
import {
  InvalidCredentials,
  InvalidToken,
  PasswordRejected,
  StepUpRequired,
} from '../schema/user-error.type.js';
import { clearRefreshCookie } from './mappers.js';

@Resolver()
export class PasswordResolver {
  constructor(
    private readonly reset: PasswordResetService,
    private readonly change: PasswordChangeService,
  ) {}

  @Mutation(() => Boolean, { description: 'Always true.' })
  async requestPasswordReset(
    @Arg('email', () => String) email: string,
    @Ctx() context: Context,
  ): Promise<boolean> {
    return this.reset.request(context.em, email);
  }

  @Mutation(() => ResetPasswordResult, { description: 'Revokes every session of the user.' })
  async resetPassword(
    @Arg('token', () => String) token: string,
    @Arg('newPassword', () => String) newPassword: string,
    @Ctx() context: Context,
  ): Promise<typeof ResetPasswordResult> {
    const outcome = await this.reset.reset(context.em, token, newPassword, context.client);
    switch (outcome.kind) {
      case 'password-changed':
        clearRefreshCookie(context);
        return Object.assign(new PasswordChanged(), { signedOutSessions: outcome.signedOutSessions });
      case 'invalid-token':
        return new InvalidToken();
      case 'password-rejected':
        return new PasswordRejected(outcome.reasons);
    }
  }

  @Authorized()
  @Mutation(() => ChangePasswordResult)
  async changePassword(
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
    @Arg('signOutOtherSessions', () => Boolean, { nullable: true, defaultValue: true })
    signOutOtherSessions: boolean | null,
    @Ctx() context: Context,
  ): Promise<typeof ChangePasswordResult> {
    const outcome = await this.change.change(
      context.em,
      requireAuth(context),
      { currentPassword, newPassword, signOutOtherSessions: signOutOtherSessions ?? true },
      context.client,
    );
    switch (outcome.kind) {
      case 'password-changed':
        return Object.assign(new PasswordChanged(), { signedOutSessions: outcome.signedOutSessions });
      case 'invalid-credentials':
        return new InvalidCredentials();
      case 'password-rejected':
        return new PasswordRejected(outcome.reasons);
      case 'step-up-required':
        return new StepUpRequired(outcome.maxAgeSeconds);
    }
  }
}
