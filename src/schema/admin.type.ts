import { Authorized, createUnionType, Field, ID, InputType, ObjectType } from 'type-graphql';
import { PageInfoType } from './audit-log.type.js';
import { DateTimeScalar } from './scalars.js';
import { EmailTaken, NotFound, StepUpRequired } from './user-error.type.js';

@ObjectType('AdminUser', { description: 'A user as administrators see it (admin API, issue 21).' })
export class AdminUserType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  email!: string;

  @Field(() => Boolean)
  emailVerified!: boolean;

  @Field(() => Boolean)
  mfaEnabled!: boolean;

  @Field(() => Boolean, { description: 'Has a password (false: signs in with emailed links only).' })
  hasPassword!: boolean;

  @Field(() => [String])
  roles!: string[];

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => Boolean)
  disabled!: boolean;

  @Field(() => DateTimeScalar, { nullable: true })
  disabledAt!: Date | null;

  @Field(() => String, { nullable: true })
  disabledReason!: string | null;

  @Field(() => String, { nullable: true })
  displayName!: string | null;

  @Field(() => String, { nullable: true, description: 'JSON object (text), readable by the user.' })
  publicMetadata!: string | null;

  // Field-level scope (AD-13): the scope that writes it reads it; a users:read key does not.
  @Authorized('admin', 'users:write')
  @Field(() => String, {
    nullable: true,
    description: 'JSON object (text), administrators only (API keys: users:write).',
  })
  privateMetadata!: string | null;
}

@ObjectType('AdminAuditEvent')
export class AdminAuditEventType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  kind!: string;

  @Field(() => String)
  result!: string;

  @Field(() => ID, { nullable: true, description: 'The user the event is about (the target).' })
  userId!: string | null;

  @Field(() => String, { nullable: true, description: '`user:<id>` or `key:<id>` when someone else acted.' })
  actor!: string | null;

  @Field(() => String, { nullable: true })
  detail!: string | null;

  @Field(() => ID, { nullable: true })
  sessionId!: string | null;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

@ObjectType('AdminUserEdge')
export class AdminUserEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => AdminUserType)
  node!: AdminUserType;
}

@ObjectType('AdminUserConnection')
export class AdminUserConnectionType {
  @Field(() => [AdminUserEdgeType])
  edges!: AdminUserEdgeType[];

  @Field(() => [AdminUserType])
  nodes!: AdminUserType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}

@ObjectType('AdminAuditEdge')
export class AdminAuditEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => AdminAuditEventType)
  node!: AdminAuditEventType;
}

@ObjectType('AdminAuditLogConnection')
export class AdminAuditLogConnectionType {
  @Field(() => [AdminAuditEdgeType])
  edges!: AdminAuditEdgeType[];

  @Field(() => [AdminAuditEventType])
  nodes!: AdminAuditEventType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}

@InputType('AdminUserFilter')
export class AdminUserFilterInput {
  @Field(() => String, { nullable: true, description: 'A prefix of the (normalised) email address.' })
  query?: string | null;

  @Field(() => Boolean, { nullable: true })
  verified?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  disabled?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  hasMfa?: boolean | null;

  @Field(() => String, { nullable: true, description: '`password` or `email` (emailed links only).' })
  provider?: string | null;

  @Field(() => String, { nullable: true })
  role?: string | null;
}

@InputType('AdminAuditLogFilter')
export class AdminAuditLogFilterInput {
  @Field(() => String, { nullable: true, description: 'Events about this user (a user id).' })
  userId?: string | null;

  @Field(() => String, { nullable: true, description: '`user:<id>` or `key:<id>`.' })
  actor?: string | null;

  @Field(() => String, { nullable: true })
  kind?: string | null;
}

@InputType('AdminUserUpdate')
export class AdminUserUpdateInput {
  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => Boolean, { nullable: true })
  verified?: boolean | null;

  @Field(() => [String], { nullable: true, description: 'Replaces the roles (changing them needs step-up).' })
  roles?: string[] | null;

  @Field(() => String, { nullable: true })
  displayName?: string | null;

  @Field(() => String, { nullable: true, description: 'A JSON object (at most 4 KiB); "" clears it.' })
  publicMetadata?: string | null;

  @Field(() => String, { nullable: true, description: 'A JSON object (at most 4 KiB); "" clears it.' })
  privateMetadata?: string | null;
}

@ObjectType('AdminUserDeleted')
export class AdminUserDeletedType {
  @Field(() => ID)
  id!: string;
}

@ObjectType('ApiKey', { description: 'An API key (never the key itself: it is shown once, at creation).' })
export class ApiKeyType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => [String])
  scopes!: string[];

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'To the minute.' })
  lastUsedAt!: Date | null;
}

@ObjectType('CreatedApiKey')
export class CreatedApiKeyType {
  @Field(() => String, { description: 'The key (`plk_…`): shown this once, stored only as a hash.' })
  key!: string;

  @Field(() => ApiKeyType)
  apiKey!: ApiKeyType;
}

export const AdminUserResult = createUnionType({
  name: 'AdminUserResult',
  types: () => [AdminUserType, NotFound, EmailTaken, StepUpRequired] as const,
});

export const AdminDeleteUserResult = createUnionType({
  name: 'AdminDeleteUserResult',
  types: () => [AdminUserDeletedType, NotFound, StepUpRequired] as const,
});

export const CreateApiKeyResult = createUnionType({
  name: 'CreateApiKeyResult',
  types: () => [CreatedApiKeyType, StepUpRequired] as const,
});
