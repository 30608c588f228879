import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import type { Config } from './config.js';

function banner(config: Config, port: number): string {
  const lines = [
    `Plinto listening on http://localhost:${port}/graphql`,
    `Pages (sign-in, sign-up, account) on http://localhost:${port}/sign-in`,
  ];
  if (config.metricsPort !== null) lines.push(`Metrics on http://localhost:${config.metricsPort}/metrics`);
  if (config.embeddedDefault) {
    lines.push(
      '',
      '  DEVELOPMENT MODE (embedded default) - not for production:',
      `    database   SQLite at ${config.database.kind === 'sqlite' ? config.database.path : ''}`,
      `    limiter    ${config.redis ? 'Redis' : 'in-memory (this process only)'}`,
      `    mail       ${config.smtpUrl ? 'SMTP' : 'console (links are printed here)'}`,
      `    secret     ${config.authSecretSource === 'generated-dev-file' ? `generated, kept in ${config.dataDir}/dev-secret` : 'AUTH_SECRET'}`,
      '  Set NODE_ENV=production with DATABASE_URL, REDIS_URL, SMTP_URL, APP_URL and AUTH_SECRET for real use.',
    );
  }
  return lines.join('\n');
}

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
  const app = await createApp(config);
  const port = await app.listen();
  console.log(banner(config, port));

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
