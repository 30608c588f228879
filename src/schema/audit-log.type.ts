import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar } from './scalars.js';

@ObjectType('AuditEvent', {
  description: 'A security event on the account (sign-in, sign-out, password change, …).',
})
export class AuditEventType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'sign_in, sign_out, session_revoked, password_reset, mfa_enabled, …' })
  kind!: string;

  @Field(() => String, { description: 'success, failure, rejected, challenge or detected' })
  result!: string;

  @Field(() => ID, { nullable: true })
  sessionId!: string | null;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

@ObjectType('AuditLogEdge')
export class AuditLogEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => AuditEventType)
  node!: AuditEventType;
}

@ObjectType('PageInfo')
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to read the next page.' })
  endCursor!: string | null;
}

@ObjectType('AuditLogConnection')
export class AuditLogConnectionType {
  @Field(() => [AuditLogEdgeType])
  edges!: AuditLogEdgeType[];

  @Field(() => [AuditEventType])
  nodes!: AuditEventType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}
