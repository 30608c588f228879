import type { Config, RedisConfig } from './config.js';

export type RefusalReason =
  | 'config'
  | 'schema-behind'
  | 'sealed-values'
  | 'database-unreachable'
  | 'redis-unreachable'
  | 'port-in-use'
  | 'unexpected';

/**
 * A start-up failure the operator can fix, with one line that says what is wrong and what to do.
 * main.ts prints only `message`; the cause (with its stack) goes to the debug log.
 */
export class StartupRefusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StartupRefusal';
  }
}

export const MIGRATE_COMMAND =
  'node dist/src/cli/migrate.js (in the image) or npm run migrate (in a checkout)';
export const RESEAL_COMMAND = 'node dist/src/cli/reseal.js (in the image) or npm run reseal (in a checkout)';
export const ROTATION_DOCS = 'deployment/README.md, "Rotating AUTH_SECRET"';

export function schemaBehind(pending: readonly string[]): StartupRefusal {
  return new StartupRefusal(
    'schema-behind',
    `the database schema is behind this version: ${pending.length} pending migration(s) ` +
      `(${pending.join(', ')}). Run the migrations first: ${MIGRATE_COMMAND}; ` +
      'a single-host setup may set MIGRATE_ON_START=true instead.',
  );
}

export function sealedValuesUnreadable(columns: readonly string[], hasPrevious: boolean): StartupRefusal {
  return new StartupRefusal(
    'sealed-values',
    `AUTH_SECRET cannot open the sealed values stored in the database: ${columns.join(', ')}. ` +
      `${hasPrevious ? 'Neither AUTH_SECRET nor AUTH_SECRET_PREVIOUS is' : 'AUTH_SECRET is not'} the secret that sealed them ` +
      '(a typo in the Secret, or a rotated value). Set AUTH_SECRET back to that secret; to change it, ' +
      `set the old one as AUTH_SECRET_PREVIOUS and the new one as AUTH_SECRET, then run ${RESEAL_COMMAND} (see ${ROTATION_DOCS}).`,
  );
}

/** The database as an operator names it: host, port and database, never the password. */
export function describeDatabase(config: Config): string {
  if (config.database.kind === 'sqlite') return `SQLite at ${config.database.path}`;
  try {
    const url = new URL(config.database.url);
    return `PostgreSQL at ${url.hostname}:${url.port || '5432'} (database ${url.pathname.slice(1) || 'postgres'})`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}

/** A driver or socket error's stable code (ECONNREFUSED, 28P01, …), never its free text. */
export function errorCode(error: unknown): string | null {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code) return code;
    const nested = (e as { errors?: unknown[] }).errors?.[0];
    const nestedCode = (nested as { code?: unknown } | undefined)?.code;
    if (typeof nestedCode === 'string') return nestedCode;
  }
  return null;
}

const SOCKET_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
};

const DATABASE_CAUSES: Record<string, string> = {
  ...SOCKET_CAUSES,
  '28P01': 'password authentication failed',
  '28000': 'the server refused this user',
  '3D000': 'the database does not exist',
  '57P03': 'the server is starting up or shutting down',
  '53300': 'too many connections',
};

export function databaseUnreachable(config: Config, error: unknown): StartupRefusal {
  const code = errorCode(error);
  const timedOut = error instanceof Error && /timeout/i.test(error.message);
  const cause =
    (code && DATABASE_CAUSES[code]) ?? (timedOut ? 'connection timed out' : (code ?? 'no answer'));
  return new StartupRefusal(
    'database-unreachable',
    `${describeDatabase(config)} is unreachable: ${cause}. Check DATABASE_URL and that the database is running.`,
    { cause: error },
  );
}

export function redisUnreachable(redis: RedisConfig, error: unknown, timeoutMs: number): StartupRefusal {
  const code = errorCode(error);
  const text = error instanceof Error ? error.message : '';
  const cause =
    (code && SOCKET_CAUSES[code]) ??
    (/WRONGPASS|NOAUTH|invalid password/i.test(text)
      ? 'authentication failed'
      : `no answer within ${timeoutMs / 1000} s`);
  let where = 'Redis (REDIS_URL)';
  if (redis.kind === 'sentinel') {
    const sentinels = redis.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
    where = `Redis primary "${redis.name}" through the sentinels ${sentinels} (REDIS_SENTINELS)`;
  } else {
    try {
      const url = new URL(redis.url);
      where = `Redis at ${url.hostname}:${url.port || '6379'}`;
    } catch {
      // keep the generic name: the URL holds a password, never print it raw
    }
  }
  return new StartupRefusal(
    'redis-unreachable',
    `${where} is unreachable: ${cause}. Production needs Redis for the shared rate limits; check REDIS_URL and that Redis is running.`,
    { cause: error },
  );
}

/** A listen() failure on the public or the metrics port. */
export function listenRefusal(config: Config, error: unknown): StartupRefusal | null {
  const code = errorCode(error);
  if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') return null;
  const port = (error as { port?: number }).port;
  const variable = port !== undefined && port === config.metricsPort ? 'METRICS_PORT' : 'PORT';
  const address = `${config.host}:${port ?? config.port}`;
  const what =
    code === 'EADDRINUSE'
      ? `port ${port ?? config.port} is already in use on ${config.host}: another process listens there`
      : code === 'EACCES'
        ? `not permitted to listen on ${address} (ports below 1024 need privileges)`
        : `cannot listen on ${address}: the address is not on this host (HOST)`;
  return new StartupRefusal('port-in-use', `${what}. Stop that process or set ${variable} to a free port.`, {
    cause: error,
  });
}

/** The one line for anything else: class, code and the first line of the message; the stack stays in the debug log. */
export function unexpectedRefusal(error: unknown): StartupRefusal {
  const name = error instanceof Error ? error.name : typeof error;
  const code = errorCode(error);
  // Credentials in a URL (postgres://user:password@…) never reach the line.
  const firstLine =
    error instanceof Error
      ? (error.message.split('\n')[0] ?? '').replace(/\/\/[^/@\s]+@/g, '//***@').slice(0, 200)
      : '';
  return new StartupRefusal(
    'unexpected',
    `unexpected ${name}${code ? ` (${code})` : ''}${firstLine ? `: ${firstLine}` : ''}. ` +
      'Start with LOG_LEVEL=debug to see the details.',
    { cause: error },
  );
}
