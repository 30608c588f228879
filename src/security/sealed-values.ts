import type { EntityManager, EntityName, FilterQuery } from '@mikro-orm/core';
import { GRACE_SEAL_PURPOSE } from '../auth/refresh-rotation.js';
import { TOTP_SEAL_PURPOSE } from '../auth/second-factor.service.js';
import { JOB_PURPOSE, MESSAGE_PURPOSE } from '../mail/mail-outbox.js';
import {
  MailOutboxEntry,
  Session,
  SigningKey,
  User,
  WebhookDelivery,
  WebhookEndpoint,
} from '../storage/entities/index.js';
import { SECRET_PURPOSE as WEBHOOK_SECRET_PURPOSE } from '../webhooks/webhook-dispatcher.js';
import { PAYLOAD_PURPOSE as WEBHOOK_PAYLOAD_PURPOSE } from '../webhooks/webhook-outbox.js';
import { SealedValueError } from './crypto.js';
import type { SecretBox } from './crypto.js';
import { SIGNING_KEY_SEAL_PURPOSE } from './signing-keys.js';

/** One column holding values sealed with AUTH_SECRET. */
export interface SealedColumn {
  /** What an operator reads: "signing keys", "TOTP secrets". */
  label: string;
  entity: EntityName<object>;
  key: string;
  property: string;
  purpose: string;
}

/**
 * Every sealed column, in one place: the start-up check, readiness and `npm run reseal` all read
 * this list, so a new sealed column that is missing here is missing from all three (and the
 * rotation test, which seals one of each, would show it).
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  column('signing keys', SigningKey, 'kid', 'privateKeyEncrypted', SIGNING_KEY_SEAL_PURPOSE),
  column('TOTP secrets', User, 'id', 'totpSecretEncrypted', TOTP_SEAL_PURPOSE),
  column('pending TOTP enrollments', User, 'id', 'totpPendingSecretEncrypted', TOTP_SEAL_PURPOSE),
  column('refresh grace pairs', Session, 'id', 'gracePairEncrypted', GRACE_SEAL_PURPOSE),
  column('waiting mail jobs', MailOutboxEntry, 'id', 'payload', JOB_PURPOSE),
  column('waiting mail messages', MailOutboxEntry, 'id', 'message', MESSAGE_PURPOSE),
  column('webhook signing secrets', WebhookEndpoint, 'id', 'secret', WEBHOOK_SECRET_PURPOSE),
  column('previous webhook signing secrets', WebhookEndpoint, 'id', 'previousSecret', WEBHOOK_SECRET_PURPOSE),
  column('webhook payloads', WebhookDelivery, 'id', 'payload', WEBHOOK_PAYLOAD_PURPOSE),
];

function column<T extends object>(
  label: string,
  entity: EntityName<T>,
  key: keyof T & string,
  property: keyof T & string,
  purpose: string,
): SealedColumn {
  return { label, entity: entity as EntityName<object>, key, property, purpose };
}

export interface ColumnScan {
  column: SealedColumn;
  checked: number;
  /** Opened with neither AUTH_SECRET nor AUTH_SECRET_PREVIOUS. */
  unopenable: number;
  /** Opened only with AUTH_SECRET_PREVIOUS (re-sealing turns these into `current`). */
  underPrevious: number;
  /** Re-sealed under AUTH_SECRET by this run (reseal only). */
  resealed: number;
}

type Row = Record<string, string | null>;

/** Rows of one column in key order, `batchSize` at a time, each batch from a fresh EntityManager. */
async function* batches(em: () => EntityManager, column: SealedColumn, batchSize: number, limit: number) {
  let after: string | null = null;
  let seen = 0;
  while (seen < limit) {
    const where = {
      [column.property]: { $ne: null },
      ...(after === null ? {} : { [column.key]: { $gt: after } }),
    } as FilterQuery<object>;
    const rows = (await em().find(column.entity, where, {
      fields: [column.key, column.property] as never,
      orderBy: { [column.key]: 'asc' },
      limit: Math.min(batchSize, limit - seen),
    })) as unknown as Row[];
    if (rows.length === 0) return;
    seen += rows.length;
    after = rows[rows.length - 1]![column.key] as string;
    yield rows;
    if (rows.length < batchSize) return;
  }
}

/**
 * Opens the sealed values (at most `limitPerColumn` per column) and counts which secret opens them.
 * With `reseal`, a value that only the previous secret opens is sealed again under the current one,
 * compare-and-swap: a row that a running replica changed meanwhile is left alone (it was sealed
 * with the current secret by that replica).
 */
export async function scanSealedValues(
  em: () => EntityManager,
  box: SecretBox,
  options: { limitPerColumn?: number; reseal?: boolean; columns?: readonly SealedColumn[] } = {},
): Promise<ColumnScan[]> {
  const scans: ColumnScan[] = [];
  for (const column of options.columns ?? SEALED_COLUMNS) {
    const scan: ColumnScan = { column, checked: 0, unopenable: 0, underPrevious: 0, resealed: 0 };
    for await (const rows of batches(em, column, 500, options.limitPerColumn ?? Infinity)) {
      const writer = em();
      for (const row of rows) {
        const sealed = row[column.property] as string;
        scan.checked += 1;
        let opened;
        try {
          opened = box.openDetailed(column.purpose, sealed);
        } catch (error) {
          if (!(error instanceof SealedValueError)) throw error;
          scan.unopenable += 1;
          continue;
        }
        if (opened.sealedWith === 'current') continue;
        scan.underPrevious += 1;
        if (!options.reseal) continue;
        const changed = await writer.nativeUpdate(
          column.entity,
          { [column.key]: row[column.key], [column.property]: sealed } as FilterQuery<object>,
          { [column.property]: box.seal(column.purpose, opened.plaintext) },
        );
        scan.resealed += changed;
      }
    }
    scans.push(scan);
  }
  return scans;
}

/** The labels of the columns holding values no configured secret opens ("signing keys (2)"). */
export function unopenableSummary(scans: readonly ColumnScan[]): string[] {
  return scans.filter((s) => s.unopenable > 0).map((s) => `${s.column.label} (${s.unopenable})`);
}
