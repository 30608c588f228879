import { inTransaction } from '../storage/transaction.js';
import type { EntityManager } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { hashScheme, wrapCheapHash } from '../security/password.service.js';
import { User } from '../storage/entities/index.js';
import { parseEmail } from './email.js';

export interface ImportRecord {
  line: number;
  email: string;
  passwordHash: string;
  emailVerified: boolean;
}

export interface ImportReport {
  imported: number;
  duplicatesInFile: Array<{ line: number; email: string }>;
  alreadyRegistered: Array<{ line: number; email: string }>;
}

export type ParseResult = { ok: true; records: ImportRecord[] } | { ok: false; errors: string[] };

/**
 * Accepts bcrypt (`$2a$`/`$2b$`/`$2y$`), argon2id (`$argon2id$…`) and legacy unsalted SHA-256
 * (64 hex digits, optionally `sha256:`-prefixed), normalised to `sha256:<hex>`. importUsers wraps
 * that and bcrypt below the floor before storing (wrapCheapHash); the user's first successful
 * sign-in replaces the wrapped hash with one of the current policy.
 */
export function normaliseImportedHash(raw: string): string | null {
  const trimmed = raw.trim();
  const legacy = /^(?:sha256:)?([0-9a-fA-F]{64})$/.exec(trimmed);
  if (legacy) return `sha256:${legacy[1]!.toLowerCase()}`;
  const scheme = hashScheme(trimmed);
  return scheme === 'bcrypt' || scheme === 'argon2id' ? trimmed : null;
}

/** Validates the whole file before anything is written: one bad line and nothing is imported. */
export function parseImportFile(text: string): ParseResult {
  const errors: string[] = [];
  const records: ImportRecord[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      errors.push(`line ${line}: not valid JSON`);
      return;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      errors.push(`line ${line}: expected an object with "email" and "passwordHash"`);
      return;
    }
    const record = value as Record<string, unknown>;
    const email = typeof record.email === 'string' ? parseEmail(record.email) : null;
    if (!email) errors.push(`line ${line}: "email" is missing or not an email address`);
    const hashValue = record.passwordHash ?? record.password_hash;
    const passwordHash = typeof hashValue === 'string' ? normaliseImportedHash(hashValue) : null;
    if (!passwordHash)
      errors.push(`line ${line}: "passwordHash" is not a bcrypt, argon2id or SHA-256 hex hash`);
    const verified = record.emailVerified ?? false;
    if (typeof verified !== 'boolean') errors.push(`line ${line}: "emailVerified" must be true or false`);
    if (email && passwordHash && typeof verified === 'boolean') {
      records.push({ line, email, passwordHash, emailVerified: verified });
    }
  });
  if (errors.length > 0) return { ok: false, errors };
  if (records.length === 0) return { ok: false, errors: ['the file holds no users'] };
  return { ok: true, records };
}

/** Wraps the cheap hashes of a batch (see wrapCheapHash), as many at once as there are cores. */
async function wrapAll(hashes: string[], cost: number): Promise<string[]> {
  const wrapped = [...hashes];
  let next = 0;
  const worker = async () => {
    while (next < hashes.length) {
      const index = next++;
      wrapped[index] = await wrapCheapHash(hashes[index]!, cost);
    }
  };
  await Promise.all(Array.from({ length: availableParallelism() }, worker));
  return wrapped;
}

export interface ImportOptions {
  /** bcrypt cost of the wrapping of cheap hashes (the configured BCRYPT_COST). */
  wrapCost: number;
}

export async function importUsers(
  em: EntityManager,
  records: ImportRecord[],
  options: ImportOptions,
): Promise<ImportReport> {
  const report: ImportReport = { imported: 0, duplicatesInFile: [], alreadyRegistered: [] };
  const seen = new Set<string>();
  const unique: ImportRecord[] = [];
  for (const record of records) {
    if (seen.has(record.email)) report.duplicatesInFile.push({ line: record.line, email: record.email });
    else {
      seen.add(record.email);
      unique.push(record);
    }
  }
  // Cheap hashes (unsalted SHA-256, bcrypt below the floor) never reach the table as they are.
  // Wrapped before the transaction: hours of hashing for a large file must not hold a connection.
  const wrapped = await wrapAll(
    unique.map((record) => record.passwordHash),
    options.wrapCost,
  );
  unique.forEach((record, index) => (record.passwordHash = wrapped[index]!));
  await inTransaction(em, async (tx) => {
    for (let start = 0; start < unique.length; start += 500) {
      const batch = unique.slice(start, start + 500);
      const existing = await tx.find(
        User,
        { email: { $in: batch.map((r) => r.email) } },
        { fields: ['email'] },
      );
      const taken = new Set(existing.map((u) => u.email));
      const now = new Date();
      const rows = [];
      for (const record of batch) {
        if (taken.has(record.email)) {
          report.alreadyRegistered.push({ line: record.line, email: record.email });
          continue;
        }
        rows.push({
          id: randomUUID(),
          email: record.email,
          passwordHash: record.passwordHash,
          emailVerifiedAt: record.emailVerified ? now : null,
          createdAt: now,
          updatedAt: now,
        });
      }
      if (rows.length > 0) await tx.insertMany(User, rows);
      report.imported += rows.length;
    }
  });
  return report;
}
