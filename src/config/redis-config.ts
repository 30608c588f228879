import { readFileSync } from 'node:fs';
import type { RedisConfig, RedisNodeAddress } from './config.types.js';

/** The Redis variables as zod parsed them (strings; checks across them happen here). */
export interface RedisEnv {
  REDIS_URL?: string;
  REDIS_TLS_CA?: string;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_NAME?: string;
  REDIS_SENTINEL_PASSWORD?: string;
  REDIS_PASSWORD?: string;
}

/**
 * One Redis topology from the environment: a single address (`redis://`, or `rediss://` for TLS,
 * with REDIS_TLS_CA naming a PEM file for a private CA) or Sentinel (REDIS_SENTINELS + REDIS_SENTINEL_NAME),
 * which ioredis follows to the current primary itself. Problems are appended, never thrown.
 */
export function parseRedisConfig(env: RedisEnv, problems: string[]): RedisConfig | null {
  const e = { ...env, REDIS_URL: env.REDIS_URL || undefined };
  if (e.REDIS_URL && e.REDIS_SENTINELS) {
    problems.push('REDIS_SENTINELS: set either REDIS_URL or REDIS_SENTINELS, not both');
    return null;
  }
  const tlsCa = e.REDIS_TLS_CA ? readCa(e.REDIS_TLS_CA, problems) : null;
  if (e.REDIS_SENTINELS) {
    if (e.REDIS_TLS_CA) problems.push('REDIS_TLS_CA: applies to a rediss:// REDIS_URL only');
    const sentinels = parseSentinels(e.REDIS_SENTINELS, problems);
    if (!e.REDIS_SENTINEL_NAME) {
      problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the monitored primary’s name)');
    }
    if (!sentinels || !e.REDIS_SENTINEL_NAME) return null;
    return {
      kind: 'sentinel',
      sentinels,
      name: e.REDIS_SENTINEL_NAME,
      sentinelPassword: e.REDIS_SENTINEL_PASSWORD ?? null,
      password: e.REDIS_PASSWORD ?? null,
    };
  }
  for (const name of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD'] as const) {
    if (e[name]) problems.push(`${name}: applies only with REDIS_SENTINELS`);
  }
  if (e.REDIS_PASSWORD) {
    problems.push('REDIS_PASSWORD: applies only with REDIS_SENTINELS (put it in REDIS_URL otherwise)');
  }
  if (!e.REDIS_URL) {
    if (e.REDIS_TLS_CA) problems.push('REDIS_TLS_CA: applies to a rediss:// REDIS_URL only');
    return null;
  }
  if (e.REDIS_TLS_CA && !e.REDIS_URL.startsWith('rediss://')) {
    problems.push('REDIS_TLS_CA: applies to a rediss:// REDIS_URL only');
  }
  return { kind: 'url', url: e.REDIS_URL, tls: e.REDIS_URL.startsWith('rediss://'), tlsCa };
}

function readCa(path: string, problems: string[]): string | null {
  try {
    const pem = readFileSync(path, 'utf8');
    if (pem.includes('-----BEGIN CERTIFICATE-----')) return pem;
    problems.push('REDIS_TLS_CA: the file holds no PEM certificate');
  } catch {
    problems.push('REDIS_TLS_CA: cannot read the file');
  }
  return null;
}

/** `host:port,host:port` (IPv6 as `[::1]:26379`); the Sentinel port defaults to 26379. */
function parseSentinels(value: string, problems: string[]): RedisNodeAddress[] | null {
  const addresses: RedisNodeAddress[] = [];
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(part);
    const port = match?.[2] === undefined ? 26379 : Number(match[2]);
    if (!match || port < 1 || port > 65535) {
      problems.push(`REDIS_SENTINELS: "${part}" is not host:port`);
      return null;
    }
    addresses.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
  }
  if (addresses.length === 0) {
    problems.push('REDIS_SENTINELS: list at least one sentinel as host:port');
    return null;
  }
  return addresses;
}
