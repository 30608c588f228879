import type { Config } from './config.js';

/**
 * What the server prints once it listens. Anything but NODE_ENV=production says loudly that it
 * is the development mode, whatever the database: PostgreSQL without NODE_ENV=production is a
 * deployment with production's checks switched off (weak secrets accepted, introspection on).
 */
export function banner(config: Config, port: number): string {
  const lines = [
    `Plinto listening on http://localhost:${port}/graphql`,
    `Pages (sign-in, sign-up, account) on http://localhost:${port}/sign-in`,
  ];
  if (config.metricsPort !== null) lines.push(`Metrics on http://localhost:${config.metricsPort}/metrics`);
  if (!config.production) {
    const database =
      config.database.kind === 'sqlite'
        ? `SQLite at ${config.database.path}`
        : 'PostgreSQL, but without NODE_ENV=production';
    lines.push(
      '',
      `  DEVELOPMENT MODE${config.embeddedDefault ? ' (embedded default)' : ''} - not for production:`,
      `    database   ${database}`,
      `    limiter    ${config.redis ? 'Redis' : 'in-memory (this process only)'}`,
      `    mail       ${config.smtpUrl ? 'SMTP' : 'console (links are printed here)'}`,
      `    secret     ${config.authSecretSource === 'generated-dev-file' ? `generated, kept in ${config.dataDir}/dev-secret` : 'AUTH_SECRET (not checked for strength)'}`,
      '  Set NODE_ENV=production with DATABASE_URL, REDIS_URL, SMTP_URL, APP_URL and AUTH_SECRET for real use.',
    );
  }
  return lines.join('\n');
}
