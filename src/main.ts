import { createApp } from './app.js';
import type { PlintoApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import type { Config } from './config.js';
import { lowerThreadPoolPriority } from './security/hash-thread-priority.js';
import { createLogger } from './observability/logger.js';
import { banner } from './startup-banner.js';
import { listenRefusal, StartupRefusal, unexpectedRefusal } from './startup-refusal.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Plinto cannot start. ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  let app: PlintoApp;
  try {
    app = await createApp(config, { logger });
    const priority = await lowerThreadPoolPriority(config.hashThreadNice);
    logger.info(
      { nice: config.hashThreadNice, ...priority },
      'password-hashing threads yield to the event loop',
    );
    const port = await app.listen();
    console.log(banner(config, port));
  } catch (error) {
    // One line on stderr that says what is wrong and what to do; the stack only in the debug log.
    const refusal =
      error instanceof StartupRefusal ? error : (listenRefusal(config, error) ?? unexpectedRefusal(error));
    logger.debug({ err: error, reason: refusal.reason }, 'start-up failed');
    console.error(`Plinto cannot start: ${refusal.message}`);
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.services.logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      app.services.logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutSeconds * 1000);
    deadline.unref();
    // close(): /ready turns 503, the listener stops accepting, in-flight requests finish, pools close.
    app.close().then(
      () => {
        app.services.logger.info('shutdown complete');
        process.exit(0);
      },
      (error: unknown) => {
        app.services.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
