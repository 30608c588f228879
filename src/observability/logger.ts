import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/**
 * Anything that can carry a secret is redacted before a log line is written. pino's `*` matches
 * one level, so the common shapes (a bare field, one object deep, headers) are listed. GraphQL
 * variables are dropped whole: they hold passwords, tokens and codes under any name.
 */
export const REDACT_PATHS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'refreshToken',
  'accessToken',
  'code',
  'codes',
  'challengeToken',
  'secret',
  'otpauthUri',
  'tokens',
  'cookie',
  'authorization',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.refreshToken',
  '*.accessToken',
  '*.code',
  '*.codes',
  '*.challengeToken',
  '*.secret',
  '*.otpauthUri',
  '*.tokens',
  '*.cookie',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  '*.headers["x-refresh-token"]',
  'variables',
  '*.variables',
];

/** Fields of a database driver error that name what failed without repeating what was stored. */
export interface DriverErrorSummary {
  type: string;
  code?: string;
  table?: string;
  constraint?: string;
}

// Properties that only database driver errors carry (pg, knex, MikroORM, libsql).
const DRIVER_MARKERS = [
  'sql',
  'query',
  'parameters',
  'bindings',
  'severity',
  'routine',
  'rawCode',
  'libsqlError',
];

function driverError(error: unknown, depth = 0): Record<string, unknown> | null {
  if (!error || typeof error !== 'object' || depth > 5) return null;
  const e = error as Record<string, unknown>;
  const name = typeof e.name === 'string' ? e.name : '';
  if (/(Exception|DatabaseError|LibsqlError)$/.test(name) || DRIVER_MARKERS.some((key) => key in e)) {
    return e;
  }
  return driverError(e.cause, depth + 1);
}

/**
 * pino's `err` serializer. A database driver error is logged as its class, code, table and
 * constraint only: its message, detail and bindings repeat the statement's values (an email, a
 * password hash, a token hash). Other errors keep pino's standard form (type, message, stack).
 */
export function serializeError(error: unknown): unknown {
  const driver = driverError(error);
  if (!driver) return pino.stdSerializers.err(error as Error);
  const outer = error as { constructor?: { name?: unknown }; name?: unknown };
  const type =
    typeof outer.constructor?.name === 'string' && outer.constructor.name !== 'Object'
      ? outer.constructor.name
      : String(outer.name ?? 'Error');
  const summary: DriverErrorSummary = { type };
  const pick = (key: 'code' | 'table' | 'constraint') => {
    const value = (error as Record<string, unknown>)[key] ?? driver[key];
    // Identifiers only: a code like 23505 or a table name, never free text.
    if (typeof value === 'string' && /^[A-Za-z0-9_.-]{1,63}$/.test(value)) summary[key] = value;
  };
  pick('code');
  pick('table');
  pick('constraint');
  return summary;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'plinto' },
      serializers: { err: serializeError },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? process.stdout,
  );
}
