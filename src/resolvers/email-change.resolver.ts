import { Arg, Authorized, Ctx, Field, Mutation, ObjectType, Resolver, createUnionType } from 'type-graphql';
import type { EmailChangeLinkOutcome, EmailChangeService } from '../auth/email-change.service.js';
import type { StepUpService } from '../auth/step-up.js';
import type { Context } from '../context.js';
import { requireAuth } from '../context.js';
import { InvalidToken, StepUpRequired } from '../schema/user-error.type.js';

@ObjectType('EmailChangeRequested', {
  description:
    'A confirmation link went to the new address (the same answer when another account has it); the old address got an undo link.',
})
export class EmailChangeRequestedType {
  @Field(() => String, { description: 'The normalised new address, waiting for its confirmation.' })
  pendingEmail!: string;
}

@ObjectType('EmailChanged')
export class EmailChangedType {
  @Field(() => String, { description: "The account's address now." })
  email!: string;
}

export const ChangeEmailResult = createUnionType({
  name: 'ChangeEmailResult',
  types: () => [EmailChangeRequestedType, StepUpRequired] as const,
});

export const EmailChangeLinkResult = createUnionType({
  name: 'EmailChangeLinkResult',
  types: () => [EmailChangedType, InvalidToken] as const,
});

function toLinkResult(outcome: EmailChangeLinkOutcome): typeof EmailChangeLinkResult {
  if (outcome.kind === 'invalid-token') return new InvalidToken();
  return Object.assign(new EmailChangedType(), { email: outcome.email });
}

/** changeEmail and its two emailed links (issue 21; src/auth/email-change.service.ts). */
@Resolver()
export class EmailChangeResolver {
  constructor(
    private readonly emailChange: EmailChangeService,
    private readonly stepUp: StepUpService,
  ) {}

  @Authorized()
  @Mutation(() => ChangeEmailResult, {
    description:
      'Step-up. Mails a confirmation link to the new address and an undo link (7 days) to the old one; sign-in keeps the old address until the link is used.',
  })
  async changeEmail(
    @Arg('newEmail', () => String) newEmail: string,
    @Ctx() context: Context,
  ): Promise<typeof ChangeEmailResult> {
    const auth = requireAuth(context);
    if (!(await this.stepUp.isRecent(context.em, auth))) return new StepUpRequired(this.stepUp.maxAgeSeconds);
    const pendingEmail = await this.emailChange.request(context.em, auth, newEmail, context.client);
    return Object.assign(new EmailChangeRequestedType(), { pendingEmail });
  }

  @Mutation(() => EmailChangeLinkResult, { description: 'The link mailed to the new address; works once.' })
  async confirmEmailChange(
    @Arg('token', () => String) token: string,
    @Ctx() context: Context,
  ): Promise<typeof EmailChangeLinkResult> {
    return toLinkResult(await this.emailChange.confirm(context.em, token, context.client));
  }

  @Mutation(() => EmailChangeLinkResult, {
    description:
      'The undo link mailed to the old address: restores it, ends every session, clears the password (a set-password link follows) and removes what the changing session added.',
  })
  async undoEmailChange(
    @Arg('token', () => String) token: string,
    @Ctx() context: Context,
  ): Promise<typeof EmailChangeLinkResult> {
    return toLinkResult(await this.emailChange.undo(context.em, token, context.client));
  }
}
