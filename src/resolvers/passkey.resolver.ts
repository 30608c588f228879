import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { PasskeySignInService } from '../auth/passkey-sign-in.service.js';
import type { PasskeyService, PasskeyView } from '../auth/passkey.service.js';
import type { Context } from '../context.js';
import { requireAuth } from '../context.js';
import { PasskeyOptions, PasskeyRemoved, PasskeyType } from '../schema/passkey.type.js';
import {
  BeginPasskeyRegistrationResult,
  FinishPasskeyRegistrationResult,
  RemovePasskeyResult,
  RenamePasskeyResult,
  SignInResult,
} from '../schema/results.type.js';
import {
  InvalidCredentials,
  InvalidPasskeyResponse,
  LastSignInMethod,
  PasskeyNotFound,
  StepUpRequired,
} from '../schema/user-error.type.js';
import { toCompletedSignIn } from './mappers.js';

function toPasskey(view: PasskeyView): PasskeyType {
  return Object.assign(new PasskeyType(), view);
}

function toOptions(options: string): PasskeyOptions {
  return Object.assign(new PasskeyOptions(), { options });
}

const PASSKEY_REFUSED = 'The passkey could not be verified. Try again, or sign in another way.';

@Resolver()
export class PasskeyResolver {
  constructor(
    private readonly passkeyService: PasskeyService,
    private readonly signIn: PasskeySignInService,
  ) {}

  @Authorized()
  @Mutation(() => BeginPasskeyRegistrationResult, {
    description: 'Options for navigator.credentials.create(); needs a recent sign-in (step-up).',
  })
  async beginPasskeyRegistration(@Ctx() context: Context): Promise<typeof BeginPasskeyRegistrationResult> {
    const outcome = await this.passkeyService.beginRegistration(context.em, requireAuth(context));
    if (outcome.kind === 'step-up-required') return new StepUpRequired(outcome.maxAgeSeconds);
    return toOptions(outcome.options);
  }

  @Authorized()
  @Mutation(() => FinishPasskeyRegistrationResult, {
    description:
      "The browser's answer (the PublicKeyCredential as JSON text) to beginPasskeyRegistration's options.",
  })
  // Declared code-first: type-graphql lists arguments in reverse, and the contract reads (response, name).
  async finishPasskeyRegistration(
    @Arg('name', () => String, { nullable: true }) name: string | null,
    @Arg('response', () => String) response: string,
    @Ctx() context: Context,
  ): Promise<typeof FinishPasskeyRegistrationResult> {
    const outcome = await this.passkeyService.finishRegistration(
      context.em,
      requireAuth(context),
      response,
      name,
      context.client,
    );
    if (outcome.kind === 'invalid-response') return new InvalidPasskeyResponse();
    return toPasskey(outcome.passkey);
  }

  @Authorized()
  @Query(() => [PasskeyType], { description: "The signed-in user's passkeys, oldest first." })
  async passkeys(@Ctx() context: Context): Promise<PasskeyType[]> {
    return (await this.passkeyService.list(context.em, requireAuth(context).userId)).map(toPasskey);
  }

  @Authorized()
  @Mutation(() => RenamePasskeyResult)
  async renamePasskey(
    @Arg('name', () => String) name: string,
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
  ): Promise<typeof RenamePasskeyResult> {
    const outcome = await this.passkeyService.rename(context.em, requireAuth(context), id, name);
    switch (outcome.kind) {
      case 'renamed':
        return toPasskey(outcome.passkey);
      case 'not-found':
        return new PasskeyNotFound();
      case 'step-up-required':
        return new StepUpRequired(outcome.maxAgeSeconds);
    }
  }

  @Authorized()
  @Mutation(() => RemovePasskeyResult, { description: 'Never the last way to sign in (LastSignInMethod).' })
  async removePasskey(
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
  ): Promise<typeof RemovePasskeyResult> {
    const outcome = await this.passkeyService.remove(context.em, requireAuth(context), id, context.client);
    switch (outcome.kind) {
      case 'removed':
        return Object.assign(new PasskeyRemoved(), { id: outcome.id });
      case 'not-found':
        return new PasskeyNotFound();
      case 'last-sign-in-method':
        return new LastSignInMethod();
      case 'step-up-required':
        return new StepUpRequired(outcome.maxAgeSeconds);
    }
  }

  @Mutation(() => PasskeyOptions, {
    description:
      'Options for navigator.credentials.get(). Without email: an empty allow-list (discoverable ' +
      'passkeys, conditional UI). With email: the same shape whether or not the address has passkeys.',
  })
  async beginPasskeySignIn(
    @Arg('email', () => String, { nullable: true }) email: string | null,
    @Ctx() context: Context,
  ): Promise<PasskeyOptions> {
    return toOptions(await this.passkeyService.beginSignIn(context.em, email));
  }

  @Mutation(() => SignInResult, {
    description:
      "The browser's answer (the PublicKeyCredential as JSON text) to beginPasskeySignIn's options.",
  })
  async finishPasskeySignIn(
    @Arg('response', () => String) response: string,
    @Ctx() context: Context,
  ): Promise<typeof SignInResult> {
    const outcome = await this.signIn.finish(context.em, response, context.client);
    switch (outcome.kind) {
      case 'invalid-credentials':
      case 'clone-detected':
        return new InvalidCredentials(PASSKEY_REFUSED);
      default: // a disabled account is told like a refused passkey
        return toCompletedSignIn(outcome, context, () => new InvalidCredentials(PASSKEY_REFUSED));
    }
  }
}
