import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  payload: { type: string; version: number; id: string; timestamp: string; data: Record<string, unknown> };
}

export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** Statuses to answer, in order; 200 once the list is used up. `hang` never answers. */
  answers: (number | 'hang')[];
  /** Requests answered with `hang` (held open until the receiver closes). */
  hung: number;
  /** The requests held open by `hang`, as received (not in `received`: they were never answered). */
  held: ReceivedWebhook[];
  /** Verifies with the standardwebhooks library; throws when no signature matches this secret. */
  verify(message: ReceivedWebhook, secret: string): unknown;
  waitFor(predicate: (message: ReceivedWebhook) => boolean, timeoutMs?: number): Promise<ReceivedWebhook>;
  close(): Promise<void>;
}

/** A real HTTP receiver on loopback: records every POST, answers as told. */
export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const answers: (number | 'hang')[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = receiver.answers.shift() ?? 200;
      const message: ReceivedWebhook = {
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        body,
        payload: JSON.parse(body) as ReceivedWebhook['payload'],
      };
      if (answer === 'hang') {
        receiver.hung += 1;
        receiver.held.push(message);
        for (const wake of waiters.splice(0)) wake();
        return;
      }
      received.push(message);
      res.statusCode = answer;
      res.end('ok');
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actualPort = (server.address() as AddressInfo).port;
  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${actualPort}/hooks`,
    port: actualPort,
    received,
    answers,
    hung: 0,
    held: [],
    verify: (message, secret) =>
      new Webhook(secret).verify(message.body, {
        'webhook-id': message.id,
        'webhook-timestamp': message.timestamp,
        'webhook-signature': message.signature,
      }),
    waitFor: async (predicate, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error('webhook not received in time');
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100).unref();
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}
