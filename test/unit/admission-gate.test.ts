import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AdmissionGate, queuedSince } from '../../src/admission-gate.js';
import { MAX_PIPELINED, boundPipelining } from '../../src/pipelining.js';

/** One POST on its own connection; resolves with the answer's body, or rejects when aborted. */
function post(port: number, path: string, body: string, signal?: AbortSignal) {
  return new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, signal }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw HTTP/1.1 POSTs, one after the other, for writing on one connection (pipelined). */
function pipelined(paths: string[], body = '') {
  return paths
    .map((path) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
    .join('');
}

/** A server whose handler holds each admitted request until the test lets it go. */
async function gatedServer(gate: AdmissionGate) {
  const held: Array<{ label: string; answer: () => void }> = [];
  const started: string[] = [];
  /** Labels of the requests the gate marked as having waited. */
  const waited: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const label = req.url!.slice(1);
    started.push(label);
    if (queuedSince(req) !== undefined) waited.push(label);
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    // The body is read only after admission, as express.json does behind the real gate.
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () =>
      held.push({
        label,
        answer: () => {
          running -= 1;
          res.end(`${label}:${body}`);
        },
      }),
    );
  };
  const server: Server = createServer((req, res) => gate.handler(req, res, () => handle(req, res)));
  let closedSockets = 0;
  server.on('connection', (socket) => socket.once('close', () => (closedSockets += 1)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  /** One request on its own connection; resolves with the body, or rejects when aborted. */
  const send = (label: string, signal?: AbortSignal) => post(port, `/${label}`, `body-${label}`, signal);
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 2000 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(check()).toBe(true);
  };
  /** Answers the oldest held request once its body has arrived. */
  const answerNext = async () => {
    await until(() => held.length > 0);
    held.shift()!.answer();
  };
  return {
    server,
    send,
    until,
    answerNext,
    started,
    waited,
    held,
    get closedSockets() {
      return closedSockets;
    },
    get maxRunning() {
      return maxRunning;
    },
  };
}

describe('AdmissionGate', () => {
  let server: Server | null = null;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = null;
  });

  it('never lets more than its limit run at once, and answers every waiting request with its own body', async () => {
    const gate = new AdmissionGate(3);
    const s = await gatedServer(gate);
    server = s.server;
    const labels = Array.from({ length: 10 }, (_, i) => `r${i}`);
    const answers = Promise.all(labels.map((label) => s.send(label)));
    await s.until(() => gate.inFlight === 3 && gate.waiting === 7);
    expect(s.started).toHaveLength(3);
    for (let i = 0; i < labels.length; i += 1) await s.answerNext();
    expect((await answers).sort()).toEqual(labels.map((label) => `${label}:body-${label}`).sort());
    expect(s.maxRunning).toBe(3);
    expect(s.started.sort()).toEqual([...labels].sort());
    expect(gate.inFlight).toBe(0);
    expect(gate.waiting).toBe(0);
  });

  it('admits waiting requests in arrival order', async () => {
    const gate = new AdmissionGate(1);
    const s = await gatedServer(gate);
    server = s.server;
    const answers: Array<Promise<string>> = [s.send('first')];
    await s.until(() => gate.inFlight === 1);
    for (const label of ['a', 'b', 'c']) {
      answers.push(s.send(label));
      await s.until(() => gate.waiting === answers.length - 1);
    }
    for (let i = 0; i < answers.length; i += 1) await s.answerNext();
    await Promise.all(answers);
    expect(s.started).toEqual(['first', 'a', 'b', 'c']);
    // Those that waited carry their arrival time (the request duration metric counts the wait).
    expect(s.waited).toEqual(['a', 'b', 'c']);
  });

  it('drops a waiting request whose client has gone without running it, and goes on with the next', async () => {
    const gate = new AdmissionGate(1);
    const s = await gatedServer(gate);
    server = s.server;
    const first = s.send('first');
    await s.until(() => gate.inFlight === 1);
    const abort = new AbortController();
    const gone = s.send('gone', abort.signal).catch((error: Error) => error.name);
    await s.until(() => gate.waiting === 1);
    const last = s.send('last');
    await s.until(() => gate.waiting === 2);
    abort.abort();
    expect(await gone).toBe('AbortError');
    // The server side has seen the hang-up (its socket closed) before the slot frees.
    await s.until(() => s.closedSockets === 1);
    await s.answerNext();
    await s.answerNext();
    expect(await first).toBe('first:body-first');
    expect(await last).toBe('last:body-last');
    expect(s.started).toEqual(['first', 'last']);
    expect(gate.inFlight).toBe(0);
  });

  it('does not count parked requests (waiting for a hash): pump() admits one more when they grow', async () => {
    let parked = 0;
    const gate = new AdmissionGate(1, () => parked);
    const s = await gatedServer(gate);
    server = s.server;
    const first = s.send('first');
    await s.until(() => gate.inFlight === 1);
    const second = s.send('second');
    await s.until(() => gate.waiting === 1);
    expect(s.started).toEqual(['first']);
    parked = 1; // the first now waits for a hash
    gate.pump();
    await s.until(() => s.started.length === 2);
    expect(gate.inFlight).toBe(2);
    expect(gate.waiting).toBe(0);
    parked = 0;
    await s.answerNext();
    await s.answerNext();
    expect([await first, await second]).toEqual(['first:body-first', 'second:body-second']);
  });

  describe('with clients that do not read their answers', () => {
    const sockets: Socket[] = [];
    afterEach(() => {
      for (const socket of sockets.splice(0)) socket.destroy();
    });

    /** A server behind a gate of one that answers /big/N with N MB at once and anything else with "ok" and its path. */
    async function answeringServer() {
      const gate = new AdmissionGate(1);
      const executed: string[] = [];
      const s = createServer(
        boundPipelining((req, res) =>
          gate.handler(req, res, () => {
            executed.push(req.url!);
            req.resume();
            req.on('end', () => {
              const big = /^\/big\/(\d+)$/.exec(req.url!);
              res.end(big ? Buffer.alloc(Number(big[1]) * 1024 * 1024, 120) : `ok${req.url!}`);
            });
          }),
        ),
      );
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      return { gate, executed, server: s, port: (s.address() as AddressInfo).port };
    }

    /** A connection to the server, closed after the test. */
    async function open(port: number) {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      return socket;
    }

    /** A connection that collects everything the server sends on it. */
    async function readingClient(port: number) {
      const client = { socket: await open(port), text: '' };
      client.socket.setEncoding('utf8');
      client.socket.on('data', (chunk: string) => (client.text += chunk));
      return client;
    }

    /** Opens a connection, writes raw HTTP/1.1 requests on it and never reads from it. */
    async function nonReader(port: number, paths: string[]) {
      const socket = await open(port);
      socket.pause();
      socket.write(pipelined(paths));
      return socket;
    }

    /** Resolves with the victim's answer, or with "stalled" if it has not come within 5 s. */
    async function victim(port: number) {
      const answer = post(port, '/victim', '');
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('stalled'), 5000)));
      try {
        return await Promise.race([answer, stalled]);
      } finally {
        clearTimeout(timer);
      }
    }

    it('frees the slot when a large answer is handed over, not when the client has read it', async () => {
      const t = await answeringServer();
      server = t.server;
      // 32 MB is far more than the socket buffers take: the answer sits in Node until read.
      await nonReader(t.port, ['/big/32']);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await victim(t.port)).toBe('ok/victim');
      expect(t.gate.inFlight).toBe(0);
    });

    it('executes one request of a client that pipelines and never reads, and closes it past the limit', async () => {
      const t = await answeringServer();
      server = t.server;
      // As many outstanding requests as a connection may have: the unread answer and those behind it.
      const smalls = Array.from({ length: MAX_PIPELINED - 1 }, (_, i) => `/small${i}`);
      await nonReader(t.port, ['/big/8', ...smalls]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await victim(t.port)).toBe('ok/victim');
      // Nothing behind the unread answer ran: its requests wait for it to be sent, outside the gate.
      expect(t.executed).toEqual(['/big/8', '/victim']);
      expect(t.gate.waiting).toBe(0);
      // One outstanding request more than the limit: the server closes the connection.
      const socket = await nonReader(t.port, ['/big/8', ...smalls, '/one-too-many']);
      const closed = new Promise<string>((resolve) => socket.once('close', () => resolve('closed')));
      let timer: NodeJS.Timeout | undefined;
      const still = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still open'), 5000)));
      expect(await Promise.race([closed, still])).toBe('closed');
      clearTimeout(timer);
    });

    it('answers every request of a client that pipelines and reads, in order', async () => {
      const t = await answeringServer();
      server = t.server;
      const paths = ['/a', '/b', '/c', '/d', '/e'];
      const reader = await readingClient(t.port);
      reader.socket.write(pipelined(paths));
      for (let i = 0; i < 400 && !reader.text.includes('ok/e'); i += 1)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(reader.text.match(/ok\/[a-e]/g)).toEqual(paths.map((path) => `ok${path}`));
      expect(t.executed).toEqual(paths);
    });

    it('serves a pipelining client one request per event-loop turn, so others are polled in between', async () => {
      const gate = new AdmissionGate(4);
      const seen: string[] = [];
      const s = createServer(
        boundPipelining((req, res) =>
          gate.handler(req, res, () => {
            const label = req.url!.slice(1);
            seen.push(`run ${label}`);
            setImmediate(() => seen.push(`turn after ${label}`));
            req.resume();
            req.on('end', () => res.end(label));
          }),
        ),
      );
      server = s;
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      const labels = Array.from({ length: 10 }, (_, i) => `p${i}`);
      const reader = await readingClient((s.address() as AddressInfo).port);
      // Requests with a body, as GraphQL ones are.
      reader.socket.write(
        pipelined(
          labels.map((label) => `/${label}`),
          '{}',
        ),
      );
      for (let i = 0; i < 400 && !seen.includes('turn after p9'); i += 1)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(seen.filter((entry) => entry.startsWith('run '))).toEqual(labels.map((label) => `run ${label}`));
      // Between two of its requests the event loop has gone round (the first one's setImmediate ran).
      for (let i = 1; i < labels.length; i += 1)
        expect(seen.indexOf(`turn after p${i - 1}`)).toBeLessThan(seen.indexOf(`run p${i}`));
    });

    it('stops parsing a connection past the limit: a 64 KB read of tiny requests makes no thousands of them', async () => {
      let calls = 0;
      const wrapped = boundPipelining((_req, res) => void setTimeout(() => res.end('ok'), 1000));
      const s = createServer((req, res) => {
        calls += 1;
        wrapped(req, res);
      });
      server = s;
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      const socket = connect((s.address() as AddressInfo).port, '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      // 27 bytes a request: Node parses some 2,400 of them from one read before the socket is gone.
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(40_000));
      await new Promise((resolve) => socket.once('close', resolve));
      expect(calls).toBe(MAX_PIPELINED + 1);
    });

    it('answers unknown Expect and missing Host itself, in turn and within the limit (Node would, unbounded)', async () => {
      let calls = 0;
      let app = 0;
      const wrapped = boundPipelining((_req, res) => {
        app += 1;
        setTimeout(() => res.end('ok'), 50);
      });
      const listener = (req: IncomingMessage, res: ServerResponse) => {
        calls += 1;
        wrapped(req, res);
      };
      const s = createServer({ requireHostHeader: false }, listener);
      s.on('checkExpectation', listener);
      server = s;
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      const port = (s.address() as AddressInfo).port;
      const ordered = connect(port, '127.0.0.1');
      sockets.push(ordered);
      await new Promise((resolve) => ordered.once('connect', resolve));
      let text = '';
      ordered.setEncoding('utf8');
      ordered.on('data', (chunk: string) => (text += chunk));
      ordered.write(
        'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nExpect: x\r\n\r\nGET /c HTTP/1.1\r\n\r\n',
      );
      await new Promise((resolve) => ordered.once('close', resolve));
      expect(text.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 417', 'HTTP/1.1 400']);
      expect(app).toBe(1);
      for (const request of ['GET / HTTP/1.1\r\nHost: x\r\nExpect: x\r\n\r\n', 'GET / HTTP/1.1\r\n\r\n']) {
        calls = 0;
        const socket = connect(port, '127.0.0.1');
        sockets.push(socket);
        socket.on('error', () => {});
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.write('GET /held HTTP/1.1\r\nHost: x\r\n\r\n' + request.repeat(20_000));
        await new Promise((resolve) => socket.once('close', resolve));
        expect(calls).toBe(MAX_PIPELINED + 1);
      }
    });

    it('frees the slots of pipelined requests whose answers queue behind an unread one', async () => {
      const t = await answeringServer();
      server = t.server;
      await nonReader(t.port, ['/big/8', '/small', '/small', '/small']);
      await nonReader(t.port, ['/big/8', '/small']);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await victim(t.port)).toBe('ok/victim');
      expect(t.gate.inFlight).toBe(0);
      expect(t.gate.waiting).toBe(0);
    });
  });

  it('refuses a limit below 1', () => {
    expect(() => new AdmissionGate(0)).toThrow(RangeError);
    expect(() => new AdmissionGate(1.5)).toThrow(RangeError);
  });
});
