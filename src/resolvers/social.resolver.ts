import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type {
  IdentityView,
  SocialSignInOutcome,
  SocialSignInService,
} from '../auth/social/social-sign-in.service.js';
import type { Context } from '../context.js';
import { requireAuth } from '../context.js';
import { InvalidInputError } from '../domain-errors.js';
import {
  CompleteLinkIdentityResult,
  LinkIdentityResult,
  SignInResult,
  UnlinkIdentityResult,
} from '../schema/results.type.js';
import {
  IdentityLinked,
  IdentityType,
  IdentityUnlinked,
  SocialAuthorization,
  SocialProviderType,
} from '../schema/social.type.js';
import {
  EmailNotVerified,
  IdentityInUse,
  IdentityLinkRequired,
  InvalidToken,
  LastSignInMethod,
  StepUpRequired,
} from '../schema/user-error.type.js';
import { toCompletedSignIn } from './mappers.js';

/** Social sign-in (issue 20): providers, the web flow's begin and completion, native ID tokens, identities. */
@Resolver()
export class SocialResolver {
  constructor(
    private readonly social: SocialSignInService,
    private readonly stepUpMaxAgeSeconds: number,
  ) {}

  @Query(() => [SocialProviderType], { description: 'The configured social sign-in providers, for buttons.' })
  socialProviders(): SocialProviderType[] {
    return this.social.list().map((p) => Object.assign(new SocialProviderType(), p));
  }

  @Mutation(() => SocialAuthorization, {
    description:
      'Starts a social sign-in. redirectTo must be allowed (CORS_ORIGINS, OAUTH_REDIRECT_ALLOWLIST); BAD_USER_INPUT otherwise.',
  })
  async beginSocialSignIn(
    @Arg('provider', () => String) provider: string,
    @Arg('redirectTo', () => String) redirectTo: string,
    @Ctx() context: Context,
  ): Promise<SocialAuthorization> {
    return Object.assign(
      new SocialAuthorization(),
      await this.social.begin(context.em, provider, redirectTo),
    );
  }

  @Mutation(() => SignInResult, {
    description:
      'Trades the #code of the social callback (once, within 60 s) with the binding beginSocialSignIn returned: required (optional in the schema only because it was added later); without it, or with another, InvalidToken.',
  })
  async completeSocialSignIn(
    @Arg('code', () => String) code: string,
    @Arg('binding', () => String, { nullable: true }) binding: string | null | undefined,
    @Ctx() context: Context,
  ): Promise<typeof SignInResult> {
    return toResult(
      await this.social.complete(context.em, { code, binding: binding ?? '' }, context.client),
      context,
    );
  }

  @Mutation(() => SignInResult, {
    description:
      "Native apps (Sign in with Apple, Google Sign-In): the provider's ID token; its nonce claim must be the SHA-256 (hex) of `nonce`.",
  })
  async signInWithIdToken(
    @Arg('provider', () => String) provider: string,
    @Arg('idToken', () => String) idToken: string,
    @Arg('nonce', () => String) nonce: string,
    @Ctx() context: Context,
  ): Promise<typeof SignInResult> {
    return toResult(
      await this.social.signInWithIdToken(context.em, { provider, idToken, nonce }, context.client),
      context,
    );
  }

  @Authorized()
  @Mutation(() => LinkIdentityResult, {
    description:
      'Begins linking a provider to the signed-in account (step-up); the callback redirects with #link_code=…, which completeLinkIdentity redeems with the binding.',
  })
  async linkIdentity(
    @Arg('provider', () => String) provider: string,
    @Arg('redirectTo', () => String) redirectTo: string,
    @Ctx() context: Context,
  ): Promise<typeof LinkIdentityResult> {
    const outcome = await this.social.beginLink(context.em, requireAuth(context), provider, redirectTo);
    if ('kind' in outcome) return new StepUpRequired(this.stepUpMaxAgeSeconds);
    return Object.assign(new SocialAuthorization(), outcome);
  }

  @Authorized()
  @Mutation(() => CompleteLinkIdentityResult, {
    description:
      "Links the provider account of linkIdentity's callback (#link_code=…, once, within 60 s): the same signed-in user, with the binding linkIdentity returned.",
  })
  async completeLinkIdentity(
    @Arg('code', () => String) code: string,
    @Arg('binding', () => String) binding: string,
    @Ctx() context: Context,
  ): Promise<typeof CompleteLinkIdentityResult> {
    const auth = requireAuth(context);
    const outcome = await this.social.completeLink(context.em, auth, { code, binding }, context.client);
    switch (outcome.kind) {
      case 'linked':
        return Object.assign(new IdentityLinked(), {
          provider: outcome.provider,
          identities: (await this.social.identities(context.em, auth.userId)).map(toIdentity),
        });
      case 'identity-in-use':
        return new IdentityInUse();
      case 'invalid-token':
        return new InvalidToken();
    }
  }

  @Authorized()
  @Query(() => [IdentityType], { description: "The signed-in user's linked social identities." })
  async identities(@Ctx() context: Context): Promise<IdentityType[]> {
    return (await this.social.identities(context.em, requireAuth(context).userId)).map(toIdentity);
  }

  @Authorized()
  @Mutation(() => UnlinkIdentityResult, { description: 'Step-up; never removes the last way to sign in.' })
  async unlinkIdentity(
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
  ): Promise<typeof UnlinkIdentityResult> {
    const auth = requireAuth(context);
    const outcome = await this.social.unlink(context.em, auth, id, context.client);
    switch (outcome.kind) {
      case 'unlinked':
        return Object.assign(new IdentityUnlinked(), {
          identities: (await this.social.identities(context.em, auth.userId)).map(toIdentity),
        });
      case 'step-up-required':
        return new StepUpRequired(this.stepUpMaxAgeSeconds);
      case 'last-sign-in-method':
        return new LastSignInMethod();
      case 'not-found':
        throw new InvalidInputError('No such linked identity.', 'id');
    }
  }
}

function toIdentity(view: IdentityView): IdentityType {
  return Object.assign(new IdentityType(), view);
}

function toResult(outcome: SocialSignInOutcome, context: Context): typeof SignInResult {
  switch (outcome.kind) {
    case 'unproven-email': // verify-first: the same answer as a new account with an unproven email
      return new EmailNotVerified();
    case 'identity-link-required':
      return new IdentityLinkRequired();
    case 'email-required':
      return new InvalidToken('The provider did not share an email address; allow it to, then try again.');
    case 'invalid-token':
      return new InvalidToken();
    default: // a disabled account gets no hint
      return toCompletedSignIn(outcome, context, () => new InvalidToken());
  }
}
