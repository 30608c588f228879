import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { AuditLogService } from '../auth/audit-log.service.js';
import { AUDIT_PAGE_MAX, encodeAuditCursor } from '../auth/audit-log.service.js';
import type { Context } from '../context.js';
import { requireAuth } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { AuditLogConnectionType } from '../schema/audit-log.type.js';
import type { AuditEventType } from '../schema/audit-log.type.js';

@Resolver()
export class AuditLogResolver {
  constructor(private readonly auditLogService: AuditLogService) {}

  @Authorized()
  @Query(() => AuditLogConnectionType, {
    description: "The signed-in user's own security events, newest first.",
  })
  async auditLog(
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Ctx() context: Context,
  ): Promise<AuditLogConnectionType> {
    const outcome = await this.auditLogService.page(
      context.em,
      requireAuth(context).userId,
      first,
      after ?? null,
    );
    if (outcome.kind === 'invalid-page-size') {
      throw new BadUserInputError(`first must be between 1 and ${AUDIT_PAGE_MAX}.`, 'first');
    }
    if (outcome.kind === 'invalid-cursor') throw new BadUserInputError('Unknown cursor.', 'after');
    const edges = outcome.events.map((event) => ({
      cursor: encodeAuditCursor(event),
      node: {
        id: event.id,
        kind: event.kind,
        result: event.result,
        sessionId: event.sessionId,
        ip: event.ip,
        userAgent: event.userAgent,
        createdAt: event.createdAt,
      } satisfies AuditEventType,
    }));
    return {
      edges,
      nodes: edges.map((edge) => edge.node),
      pageInfo: { hasNextPage: outcome.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }
}
