import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { useServer } from '../helpers/use-server.js';

/**
 * A client that opens a connection, writes `first`, then trickles one byte of `rest` per second
 * and never finishes. Resolves with the server's answer and when it came (or when it hung up).
 */
function slowClient(url: string, first: string, rest: string): Promise<{ answer: string; seconds: number }> {
  const { hostname, port } = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < rest.length && socket.writable) socket.write(rest[sent++]!);
    }, 1000);
    socket.on('connect', () => socket.write(first));
    const done = () => {
      clearInterval(trickle);
      socket.destroy();
      resolve({ answer, seconds: (performance.now() - started) / 1000 });
    };
    // The answer ends the test of this client: a complete response head, or the connection closed.
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n\r\n')) done();
    });
    socket.on('error', () => undefined); // a reset counts as hanging up too
    socket.on('close', done);
    setTimeout(() => {
      clearInterval(trickle);
      socket.destroy();
      reject(new Error(`the server kept a slow client for 60 s; it answered: ${answer}`));
    }, 60_000);
  });
}

describe('slow clients (slowloris)', () => {
  const ctx = useServer('sqlite');

  it(
    'drops a client whose headers take over 10 s, and one whose body takes over 30 s, with 408',
    { timeout: 70_000 },
    async () => {
      const body = JSON.stringify({ query: '{ __typename }' });
      const [headers, request] = await Promise.all([
        // Headers that never end: one more header byte per second.
        slowClient(
          ctx.server.url,
          'POST /graphql HTTP/1.1\r\nHost: plinto.test\r\n',
          'X-Slow: ' + 'a'.repeat(60),
        ),
        // Complete headers, then the body one byte per second (each byte keeps the socket busy).
        slowClient(
          ctx.server.url,
          `POST /graphql HTTP/1.1\r\nHost: plinto.test\r\nContent-Type: application/json\r\nContent-Length: ${
            body.length + 60
          }\r\n\r\n`,
          body + ' '.repeat(60),
        ),
      ]);
      expect(headers.answer).toMatch(/^HTTP\/1\.1 408 [^]*connection: close/i);
      expect(request.answer).toMatch(/^HTTP\/1\.1 408 [^]*connection: close/i);
      // headersTimeout 10 s and requestTimeout 30 s, enforced by a check every second.
      expect(headers.seconds).toBeGreaterThanOrEqual(9.5);
      expect(headers.seconds).toBeLessThan(15);
      expect(request.seconds).toBeGreaterThanOrEqual(29.5);
      expect(request.seconds).toBeLessThan(35);
    },
  );
});
