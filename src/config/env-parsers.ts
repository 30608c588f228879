import { z } from 'zod';
import { rateLimitOverrideNames } from '../security/rate-limit-rules.js';
import type { DatabaseConfig, RateLimitRule } from './config.types.js';

/** From environment strings to values. Helpers that find a problem append it to `problems` and go on. */

export const intFromEnv = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const boolFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export function parseDatabaseUrl(url: string): DatabaseConfig | null {
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgresql', url };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    return path ? { kind: 'sqlite', path } : null;
  }
  return null;
}

export function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value; // Express syntax: 'loopback', '10.0.0.0/8, 127.0.0.1', ...
}

/** `signIn=5/60,signIn.account=10/60`: limit per window in seconds, by field name (see rate-limit-rules.ts). */
export function parseRateLimits(
  value: string | undefined,
  problems: string[],
): Record<string, RateLimitRule> {
  const rules: Record<string, RateLimitRule> = {};
  if (!value) return rules;
  const known = new Set(rateLimitOverrideNames());
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z][A-Za-z0-9]*(?:\.account)?)=(\d+)\/(\d+)$/.exec(part);
    if (!match) {
      problems.push(`RATE_LIMITS: "${part}" is not of the form field=limit/seconds`);
      continue;
    }
    // A typo must not silently leave a flow on its default limit.
    if (!known.has(match[1]!)) {
      problems.push(`RATE_LIMITS: "${match[1]}" is not a rate-limited field (${[...known].join(', ')})`);
      continue;
    }
    if (Number(match[2]) < 1 || Number(match[3]) < 1) {
      problems.push(`RATE_LIMITS: "${part}" needs a limit and a window of at least 1`);
      continue;
    }
    rules[match[1]!] = { limit: Number(match[2]), durationSeconds: Number(match[3]) };
  }
  return rules;
}

/** `https://app.example,http://localhost:5173`: origins only (scheme, host, port); each bad one is a problem. */
export function parseCorsOrigins(value: string | undefined, problems: string[]): string[] {
  const origins = (value ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`CORS_ORIGINS: "${origin}" is not an origin`);
  }
  return origins;
}
