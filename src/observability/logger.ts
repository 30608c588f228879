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

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'plinto' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? process.stdout,
  );
}
