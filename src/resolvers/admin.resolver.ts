import { ForbiddenError } from '../errors.js';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { AdminActor, AdminOutcome, AdminService, AdminUserRow } from '../auth/admin/admin.service.js';
import type { ApiKeyService } from '../auth/admin/api-key.service.js';
import type { PasskeyService } from '../auth/passkey.service.js';
import type { SocialSignInService } from '../auth/social/social-sign-in.service.js';
import { encodeAuditCursor } from '../auth/audit-log.service.js';
import { encodeUserCursor } from '../auth/admin/admin.service.js';
import type { SessionService } from '../auth/session.service.js';
import type { StepUpService } from '../auth/step-up.js';
import type { Context } from '../context.js';
import { UnauthenticatedError } from '../errors.js';
import {
  AdminAuditEventType,
  AdminAuditLogConnectionType,
  AdminAuditLogFilterInput,
  AdminDeleteUserResult,
  AdminUserConnectionType,
  AdminUserDeletedType,
  AdminUserFilterInput,
  AdminUserResult,
  AdminUserType,
  AdminUserUpdateInput,
  ApiKeyType,
  CreateApiKeyResult,
  CreatedApiKeyType,
} from '../schema/admin.type.js';
import { PasskeyType } from '../schema/passkey.type.js';
import { DateTimeScalar } from '../schema/scalars.js';
import { IdentityType } from '../schema/social.type.js';
import { SessionType } from '../schema/session.type.js';
import { EmailTaken, NotFound, StepUpRequired } from '../schema/user-error.type.js';
import type { AuditEvent, ApiKey } from '../storage/entities/index.js';
import { toSession } from './mappers.js';
import { ADMIN_ROLE } from '../auth/roles.js';

/** Roles/scopes per field: an admin session (with MFA, see auth-checker.ts) or an API key with the scope. */
const READ = ['admin', 'users:read'];
const WRITE = ['admin', 'users:write'];
const SESSIONS = ['admin', 'sessions:write'];
const AUDIT = ['admin', 'audit:read'];
// Field-level scopes of AdminUser (AD-13): a users:read key sees the profile, not the user's
// sessions (devices, addresses: sessions:write), audit trail (audit:read) or privateMetadata
// (users:write, the scope that writes it; see schema/admin.type.ts). Outside its scopes: FORBIDDEN.

function toAdminUser(user: AdminUserRow): AdminUserType {
  return Object.assign(new AdminUserType(), {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    mfaEnabled: user.totpEnabledAt !== null,
    hasPassword: user.hasPassword,
    roles: user.roles,
    createdAt: user.createdAt,
    disabled: user.disabledAt !== null,
    disabledAt: user.disabledAt,
    disabledReason: user.disabledReason,
    displayName: user.displayName,
    publicMetadata: user.publicMetadata,
    privateMetadata: user.privateMetadata,
  });
}

function toAdminEvent(event: AuditEvent): AdminAuditEventType {
  return Object.assign(new AdminAuditEventType(), {
    id: event.id,
    kind: event.kind,
    result: event.result,
    userId: event.userId,
    actor: event.actor,
    detail: event.detail,
    sessionId: event.sessionId,
    ip: event.ip,
    userAgent: event.userAgent,
    createdAt: event.createdAt,
  });
}

function toApiKey(key: ApiKey): ApiKeyType {
  return Object.assign(new ApiKeyType(), {
    id: key.id,
    name: key.name,
    scopes: key.scopes.split(' '),
    createdAt: key.createdAt,
    expiresAt: key.expiresAt,
    revokedAt: key.revokedAt,
    lastUsedAt: key.lastUsedAt,
  });
}

function toResult(outcome: AdminOutcome): typeof AdminUserResult {
  switch (outcome.kind) {
    case 'done':
      return toAdminUser(outcome.user);
    case 'not-found':
      return new NotFound();
    case 'email-taken':
      return new EmailTaken();
  }
}

function actorOf(context: Context): AdminActor {
  if (context.apiKey) {
    return { kind: 'key', keyId: context.apiKey.keyId, name: context.apiKey.name, client: context.client };
  }
  if (!context.auth) throw new UnauthenticatedError();
  return { kind: 'user', userId: context.auth.userId, client: context.client };
}

@Resolver(() => AdminUserType)
export class AdminResolver {
  constructor(
    private readonly admin: AdminService,
    private readonly keys: ApiKeyService,
    private readonly sessionService: SessionService,
    private readonly stepUp: StepUpService,
    private readonly passkeyService: PasskeyService,
    private readonly social: SocialSignInService,
  ) {}

  /**
   * An API key acts on users, never on administrators: a users:write or sessions:write key could
   * otherwise disable, delete, strip the second factor of or sign out every admin, its own creator
   * included. Those actions take an administrator's session.
   */
  private async refuseKeyOnAdmin(context: Context, id: string): Promise<void> {
    if (!context.apiKey) return;
    const target = await this.admin.findUser(context.em, id);
    if (target?.roles.includes(ADMIN_ROLE)) {
      throw new ForbiddenError('API keys cannot act on an administrator account.', 'SESSION_REQUIRED');
    }
  }

  /** Destructive actions need a recent primary authentication from a session (API keys were created under step-up). */
  private async needsStepUp(context: Context): Promise<StepUpRequired | null> {
    if (!context.auth) return null;
    return (await this.stepUp.isRecent(context.em, context.auth))
      ? null
      : new StepUpRequired(this.stepUp.maxAgeSeconds);
  }

  @Authorized(...READ)
  @Query(() => AdminUserConnectionType, {
    description: 'Users, ordered by email; `query` is an email prefix.',
  })
  async adminUsers(
    @Arg('filter', () => AdminUserFilterInput, { nullable: true }) filter: AdminUserFilterInput | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: Context,
  ): Promise<AdminUserConnectionType> {
    const page = await this.admin.listUsers(context.em, filter ?? {}, first, after ?? null);
    const edges = page.users.map((user) => ({
      cursor: encodeUserCursor(user.email),
      node: toAdminUser(user),
    }));
    return {
      edges,
      nodes: edges.map((edge) => edge.node),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  @Authorized(...READ)
  @Query(() => AdminUserType, { nullable: true })
  async adminUser(@Arg('id', () => ID) id: string, @Ctx() context: Context): Promise<AdminUserType | null> {
    const user = await this.admin.findUser(context.em, id);
    return user ? toAdminUser(user) : null;
  }

  @Authorized(...SESSIONS)
  @FieldResolver(() => [SessionType], { description: 'Live sessions (API keys: sessions:write).' })
  async sessions(@Root() user: AdminUserType, @Ctx() context: Context): Promise<SessionType[]> {
    const sessions = await this.sessionService.list(context.em, user.id);
    return sessions.map((s) => toSession(s, null));
  }

  @FieldResolver(() => [PasskeyType], { description: "The user's passkeys, oldest first." })
  async passkeys(@Root() user: AdminUserType, @Ctx() context: Context): Promise<PasskeyType[]> {
    const passkeys = await this.passkeyService.list(context.em, user.id);
    return passkeys.map((view) => Object.assign(new PasskeyType(), view));
  }

  @FieldResolver(() => [IdentityType], { description: "The user's linked social sign-in accounts." })
  async identities(@Root() user: AdminUserType, @Ctx() context: Context): Promise<IdentityType[]> {
    const identities = await this.social.identities(context.em, user.id);
    return identities.map((view) => Object.assign(new IdentityType(), view));
  }

  @FieldResolver(() => DateTimeScalar, { nullable: true, description: 'When the newest session began.' })
  async lastSignInAt(@Root() user: AdminUserType, @Ctx() context: Context): Promise<Date | null> {
    return (await this.admin.userDetail(context.em, user.id))?.lastSignInAt ?? null;
  }

  @FieldResolver(() => Int)
  async recoveryCodesLeft(@Root() user: AdminUserType, @Ctx() context: Context): Promise<number> {
    return (await this.admin.userDetail(context.em, user.id))?.recoveryCodesLeft ?? 0;
  }

  @Authorized(...AUDIT)
  @FieldResolver(() => [AdminAuditEventType], {
    description: 'The 20 newest audit events about the user (API keys: audit:read).',
  })
  async recentEvents(@Root() user: AdminUserType, @Ctx() context: Context): Promise<AdminAuditEventType[]> {
    const page = await this.admin.auditPage(context.em, { userId: user.id }, 20, null);
    return page.events.map(toAdminEvent);
  }

  @Authorized(...WRITE)
  @Mutation(() => AdminUserResult, {
    description: 'Creates a user without a password; `sendInvite` mails a set-password link.',
  })
  async adminCreateUser(
    @Arg('email', () => String) email: string,
    @Arg('roles', () => [String], { defaultValue: [] }) roles: string[],
    @Arg('sendInvite', () => Boolean, { defaultValue: true }) sendInvite: boolean,
    @Ctx() context: Context,
  ): Promise<typeof AdminUserResult> {
    if (roles.length > 0) {
      // A role is granted by an administrator's session with step-up only, never by an API key (a
      // users:write key would otherwise create an admin for a mailbox it names and mail it the invite).
      if (!context.auth) {
        throw new ForbiddenError('API keys cannot grant roles.', 'SESSION_REQUIRED');
      }
      const stepUp = await this.needsStepUp(context);
      if (stepUp) return stepUp;
    }
    return toResult(await this.admin.createUser(context.em, actorOf(context), email, roles, sendInvite));
  }

  @Authorized(...WRITE)
  @Mutation(() => AdminUserResult)
  async adminUpdateUser(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => AdminUserUpdateInput) input: AdminUserUpdateInput,
    @Ctx() context: Context,
  ): Promise<typeof AdminUserResult> {
    await this.refuseKeyOnAdmin(context, id);
    if (input.roles || input.email) {
      // Roles and addresses decide who holds an account and what it may do: an administrator's
      // session with step-up only, never an API key (a users:write key could otherwise make itself
      // an admin or move a victim's account to its own mailbox).
      if (!context.auth) {
        throw new ForbiddenError('API keys cannot change roles or email addresses.', 'SESSION_REQUIRED');
      }
      const stepUp = await this.needsStepUp(context);
      if (stepUp) return stepUp;
    }
    return toResult(await this.admin.updateUser(context.em, actorOf(context), id, input));
  }

  @Authorized(...WRITE)
  @Mutation(() => AdminUserResult, {
    description: 'Sign-ins then fail like wrong credentials; every session ends at once.',
  })
  async adminDisableUser(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() context: Context,
  ): Promise<typeof AdminUserResult> {
    await this.refuseKeyOnAdmin(context, id);
    const stepUp = await this.needsStepUp(context);
    if (stepUp) return stepUp;
    return toResult(await this.admin.disableUser(context.em, actorOf(context), id, reason));
  }

  @Authorized(...WRITE)
  @Mutation(() => AdminUserResult)
  async adminEnableUser(
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
  ): Promise<typeof AdminUserResult> {
    await this.refuseKeyOnAdmin(context, id);
    return toResult(await this.admin.enableUser(context.em, actorOf(context), id));
  }

  @Authorized(...WRITE)
  @Mutation(() => AdminUserResult, { description: 'Clears the sign-in failure lock of the account.' })
  async adminUnlockUser(
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
  ): Promise<typeof AdminUserResult> {
    await this.refuseKeyOnAdmin(context, id);
    return toResult(await this.admin.unlockUser(context.em, actorOf(context), id));
  }

  @Authorized(...SESSIONS)
  @Mutation(() => AdminUserResult, { description: "Ends every one of the user's sessions at once." })
  async adminRevokeSessions(
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
  ): Promise<typeof AdminUserResult> {
    await this.refuseKeyOnAdmin(context, id);
    return toResult(await this.admin.revokeSessions(context.em, actorOf(context), id));
  }

  @Authorized(...WRITE)
  @Mutation(() => AdminUserResult, {
    description: 'Removes TOTP and recovery codes; the owner is told by mail.',
  })
  async adminResetMfa(
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
  ): Promise<typeof AdminUserResult> {
    await this.refuseKeyOnAdmin(context, id);
    const stepUp = await this.needsStepUp(context);
    if (stepUp) return stepUp;
    return toResult(await this.admin.resetMfa(context.em, actorOf(context), id));
  }

  @Authorized(...WRITE)
  @Mutation(() => AdminUserResult)
  async adminSendPasswordReset(
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
  ): Promise<typeof AdminUserResult> {
    await this.refuseKeyOnAdmin(context, id);
    return toResult(await this.admin.sendPasswordReset(context.em, actorOf(context), id));
  }

  @Authorized(...WRITE)
  @Mutation(() => AdminDeleteUserResult, {
    description: 'Erases the account; the audit trail keeps the pseudonymous id.',
  })
  async adminDeleteUser(
    @Arg('id', () => ID) id: string,
    @Ctx() context: Context,
  ): Promise<typeof AdminDeleteUserResult> {
    await this.refuseKeyOnAdmin(context, id);
    const stepUp = await this.needsStepUp(context);
    if (stepUp) return stepUp;
    const deleted = await this.admin.deleteUser(context.em, actorOf(context), id);
    return deleted ? Object.assign(new AdminUserDeletedType(), { id }) : new NotFound();
  }

  @Authorized(...AUDIT)
  @Query(() => AdminAuditLogConnectionType, { description: 'Security events across users, newest first.' })
  async adminAuditLog(
    @Arg('filter', () => AdminAuditLogFilterInput, { nullable: true })
    filter: AdminAuditLogFilterInput | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: Context,
  ): Promise<AdminAuditLogConnectionType> {
    const page = await this.admin.auditPage(context.em, filter ?? {}, first, after ?? null);
    const edges = page.events.map((event) => ({
      cursor: encodeAuditCursor(event),
      node: toAdminEvent(event),
    }));
    return {
      edges,
      nodes: edges.map((edge) => edge.node),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  @Authorized('admin')
  @Mutation(() => CreateApiKeyResult, {
    description: 'The key is in the answer once (`plk_…`); only its hash is kept.',
  })
  async createApiKey(
    @Arg('name', () => String) name: string,
    @Arg('scopes', () => [String]) scopes: string[],
    @Arg('expiresAt', () => DateTimeScalar, { nullable: true }) expiresAt: Date | null | undefined,
    @Ctx() context: Context,
  ): Promise<typeof CreateApiKeyResult> {
    const stepUp = await this.needsStepUp(context);
    if (stepUp) return stepUp;
    const actor = actorOf(context) as AdminActor & { kind: 'user' };
    const created = await this.keys.create(context.em, actor, name, scopes, expiresAt ?? null);
    return Object.assign(new CreatedApiKeyType(), { key: created.key, apiKey: toApiKey(created.record) });
  }

  @Authorized('admin')
  @Query(() => [ApiKeyType], {
    description: 'Every API key (newest first, at most 500), revoked ones included.',
  })
  async apiKeys(@Ctx() context: Context): Promise<ApiKeyType[]> {
    return (await this.keys.list(context.em)).map(toApiKey);
  }

  @Authorized('admin')
  @Mutation(() => Boolean, { description: 'True when a live key was revoked; it stops working at once.' })
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() context: Context): Promise<boolean> {
    return this.keys.revoke(context.em, actorOf(context), id);
  }
}
