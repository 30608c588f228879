import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';

/** A fresh data directory, so a configuration test never shares a generated dev secret. */
export const dataDir = (): string => mkdtempSync(join(tmpdir(), 'plinto-config-'));

/** Every problem loadConfig reports for `env` (none when it loads). */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
