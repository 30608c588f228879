import { updateUser } from '../storage/user-rows.js';
import {
  Arg,
  Authorized,
  Ctx,
  Field,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  createUnionType,
} from 'type-graphql';
import type { AdminService } from '../auth/admin/admin.service.js';
import { eraseAccount, validateDisplayName, validateMetadata } from '../auth/admin/admin.service.js';
import type { SessionService } from '../auth/session.service.js';
import type { StepUpService } from '../auth/step-up.js';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { SecurityEvents } from '../observability/security-events.js';
import type { Context } from '../context.js';
import { requireAuth } from '../context.js';
import { StepUpRequired } from '../schema/user-error.type.js';
import type { User } from '../storage/entities/index.js';
import { inTransaction } from '../storage/transaction.js';
import type { WebhookEmitter } from '../webhooks/webhook-outbox.js';

@ObjectType('Profile', { description: "The user's display name and public application metadata." })
export class ProfileType {
  @Field(() => String, { nullable: true })
  displayName!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'A JSON object (text); `privateMetadata` is admin-only.',
  })
  publicMetadata!: string | null;
}

@ObjectType('AccountDeleted')
export class AccountDeletedType {
  @Field(() => Boolean)
  deleted!: boolean;
}

export const DeleteAccountResult = createUnionType({
  name: 'DeleteAccountResult',
  types: () => [AccountDeletedType, StepUpRequired] as const,
});

/** Self-service account changes (issue 21): profile and account deletion. */
@Resolver()
export class SelfServiceResolver {
  constructor(
    private readonly admin: AdminService,
    private readonly sessions: SessionService,
    private readonly mailOutbox: MailOutbox,
    private readonly events: SecurityEvents,
    private readonly stepUp: StepUpService,
    private readonly webhooks: WebhookEmitter,
  ) {}

  @Authorized()
  @Query(() => ProfileType)
  async profile(@Ctx() context: Context): Promise<ProfileType> {
    const user = await this.admin.findUser(context.em, requireAuth(context).userId);
    return { displayName: user?.displayName ?? null, publicMetadata: user?.publicMetadata ?? null };
  }

  @Authorized()
  @Mutation(() => ProfileType, {
    description: 'Display name (≤ 100 characters) and publicMetadata (a JSON object, ≤ 4 KiB; "" clears).',
  })
  async updateProfile(
    @Arg('displayName', () => String, { nullable: true }) displayName: string | null | undefined,
    @Arg('publicMetadata', () => String, { nullable: true }) publicMetadata: string | null | undefined,
    @Ctx() context: Context,
  ): Promise<ProfileType> {
    const auth = requireAuth(context);
    const changes: Partial<User> = {};
    if (displayName !== undefined && displayName !== null)
      changes.displayName = validateDisplayName(displayName);
    if (publicMetadata !== undefined && publicMetadata !== null) {
      changes.publicMetadata =
        publicMetadata === '' ? null : validateMetadata(publicMetadata, 'publicMetadata');
    }
    if (Object.keys(changes).length > 0) {
      const now = new Date();
      // The change and its user.updated webhook event: together or not at all.
      await inTransaction(context.em, async (tx) => {
        await updateUser(tx, auth.userId, {}, { ...changes, updatedAt: now });
        await this.webhooks.emit(tx, {
          type: 'user.updated',
          data: { userId: auth.userId, changed: Object.keys(changes), updatedAt: now.toISOString() },
        });
      });
      await this.events.record({
        kind: 'profile_updated',
        result: 'success',
        userId: auth.userId,
        sessionId: auth.sessionId,
        client: context.client,
        detail: Object.keys(changes).join(' '),
      });
    }
    return this.profile(context);
  }

  @Authorized()
  @Mutation(() => DeleteAccountResult, {
    description:
      'Step-up. Ends every session and erases the address, password hash and factors; a confirmation mail follows.',
  })
  async deleteAccount(@Ctx() context: Context): Promise<typeof DeleteAccountResult> {
    const auth = requireAuth(context);
    if (!(await this.stepUp.isRecent(context.em, auth))) return new StepUpRequired(this.stepUp.maxAgeSeconds);
    await inTransaction(context.em, async (tx) => {
      await eraseAccount(tx, this.sessions, this.mailOutbox, auth.userId, 'account-deleted', this.webhooks);
      await this.events.record({
        kind: 'account_deleted',
        result: 'success',
        userId: auth.userId,
        sessionId: auth.sessionId,
        client: context.client,
        em: tx,
      });
    });
    return Object.assign(new AccountDeletedType(), { deleted: true });
  }
}
