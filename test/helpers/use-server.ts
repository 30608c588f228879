import { afterAll, beforeAll } from 'vitest';
import { createMigratedTestDatabase } from './database.js';
import type { Backend, TestDatabase } from './database.js';
import { startMailServer } from './email-documents.js';
import { startServer } from './server.js';
import type { TestServer } from './server.js';
import { startSmtpServer } from './smtp.js';
import type { TestSmtpServer } from './smtp.js';

/** What the hooks of one describe block set up; the fields are filled in once its beforeAll has run. */
export interface ServerContext {
  database: TestDatabase;
  /** A test may replace it (a restart with other settings); afterAll closes whichever is current. */
  server: TestServer;
}

export interface MailServerContext extends ServerContext {
  smtp: TestSmtpServer;
}

/**
 * Registers beforeAll/afterAll in the enclosing describe: a fresh database (copied from a migrated
 * template: see createMigratedTestDatabase) and a server on it.
 * Teardown closes the server before it drops the database.
 */
export function useServer(
  backend: Backend,
  overrides: Record<string, string | undefined> = {},
): ServerContext {
  const ctx: Partial<ServerContext> = {};
  beforeAll(async () => {
    ctx.database = await createMigratedTestDatabase(backend);
    ctx.server = await startServer(ctx.database, overrides);
  });
  afterAll(async () => {
    await ctx.server?.close();
    await ctx.database?.drop();
  });
  return ctx as ServerContext;
}

/**
 * Like useServer, with a real SMTP server that the app mails to (see startMailServer).
 * Teardown closes the app server, then the SMTP server, then drops the database.
 */
export function useMailServer(
  backend: Backend,
  overrides: Record<string, string | undefined> = {},
): MailServerContext {
  const ctx: Partial<MailServerContext> = {};
  beforeAll(async () => {
    ctx.smtp = await startSmtpServer();
    ctx.database = await createMigratedTestDatabase(backend);
    ctx.server = await startMailServer(ctx.database, ctx.smtp.url, overrides);
  });
  afterAll(async () => {
    await ctx.server?.close();
    await ctx.smtp?.close();
    await ctx.database?.drop();
  });
  return ctx as MailServerContext;
}
