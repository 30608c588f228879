import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { AuditEvent } from '../storage/entities/index.js';

export const AUDIT_PAGE_MAX = 100;

export type AuditLogOutcome =
  | { kind: 'page'; events: AuditEvent[]; hasNextPage: boolean }
  | { kind: 'invalid-cursor' }
  | { kind: 'invalid-page-size' };

interface CursorPosition {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque to clients: the position (time, id) of an event in newest-first order. */
export function encodeAuditCursor(event: AuditEvent): string {
  return Buffer.from(JSON.stringify([event.createdAt.getTime(), event.id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): CursorPosition | null {
  if (cursor.length > 200) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [millis, id] = value as [unknown, unknown];
    if (!Number.isSafeInteger(millis) || typeof id !== 'string' || !UUID.test(id)) return null;
    return { createdAt: new Date(millis as number), id };
  } catch {
    return null;
  }
}

/** The signed-in user's own security events, newest first, with cursor pagination. */
export class AuditLogService {
  async page(
    em: EntityManager,
    userId: string,
    first: number,
    after: string | null,
  ): Promise<AuditLogOutcome> {
    if (!Number.isInteger(first) || first < 1 || first > AUDIT_PAGE_MAX) return { kind: 'invalid-page-size' };
    const position = after ? decodeCursor(after) : null;
    if (after && !position) return { kind: 'invalid-cursor' };
    // Always filtered by the caller's user id: a cursor only says where to resume, never whose events.
    const where: FilterQuery<AuditEvent> = position
      ? {
          userId,
          $or: [
            { createdAt: { $lt: position.createdAt } },
            { createdAt: position.createdAt, id: { $lt: position.id } },
          ],
        }
      : { userId };
    const rows = await em.find(AuditEvent, where, {
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      limit: first + 1,
    });
    return { kind: 'page', events: rows.slice(0, first), hasNextPage: rows.length > first };
  }
}
