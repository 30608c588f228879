import { ConfigError, loadConfig } from '../config.js';
import type { Config } from '../config.js';

/** The configuration, or a plain list of its problems and exit 1 (a message, not a stack trace). */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
