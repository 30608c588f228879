import { MailOutboxEntry } from '../../src/storage/entities/index.js';
import type { TestServer } from './server.js';
import { sleep } from './smtp.js';

/** Waits until the server's outbox is empty: every job composed and delivered (or dropped). */
export async function drainOutbox(server: TestServer, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const waiting = await server.app.services.orm.em.fork().count(MailOutboxEntry, {});
    if (waiting === 0) return;
    if (Date.now() > deadline) throw new Error(`${waiting} mails still in the outbox after ${timeoutMs} ms`);
    await sleep(20);
  }
}
