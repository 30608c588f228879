import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Requests a connection may have outstanding (received, answer not yet sent) before it is closed. */
export const MAX_PIPELINED = 16;

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

const PENDING = Symbol('plinto.pending');
const SERVING = Symbol('plinto.serving');
type Tracked = Socket & { [PENDING]?: Array<[IncomingMessage, ServerResponse]>; [SERVING]?: boolean };

/**
 * Makes Node's parser stop at the request it is on instead of going through the rest of the bytes
 * it has read: destroying the socket stops further reads, not the current one, and Node parses the
 * whole read (64 KB) at once, so a client writing tiny requests (27 bytes each) had some 2,400
 * requests and responses made per connection, each handed to this wrapper, before the close took
 * effect (20 reconnecting clients: another client's request waited 0.7-2.4 s, RSS +70-116 MB).
 * The parser's onIncoming (Node's own, bound per connection and reset when the parser is reused)
 * returns 2 here, llhttp's "upgrade" answer to headers, on which it stops parsing that read.
 */
function stopParsing(socket: Socket): void {
  const parser = (socket as Socket & { parser?: { onIncoming?: unknown } | null }).parser;
  if (parser && typeof parser.onIncoming === 'function') parser.onIncoming = () => 2;
}

/**
 * The two answers Node gives by itself when left to it (417 to an Expect other than 100-continue, 400
 * to an HTTP/1.1 request without Host), given here instead, so that such requests too are served one
 * at a time and counted. Node's own answers bypassed both: 20 connections writing `Expect: x`
 * requests held another client's request back 2.5-3.5 s (and for seconds after they stopped), and
 * requests without Host 1.2-2.4 s with RSS +160 MB. The server must be created with
 * `requireHostHeader: false` and this listener also on 'checkExpectation'.
 */
function answeredHere(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor !== 1) return false;
  const expect = req.headers.expect;
  if (expect !== undefined && !/(?:^|\W)100-continue(?:$|\W)/i.test(expect)) {
    res.writeHead(417);
    res.end();
    return true;
  }
  if (req.headers.host === undefined) {
    res.writeHead(400, ['Connection', 'close']);
    res.end();
    return true;
  }
  return false;
}

/**
 * Wraps the server's request listener so that each connection has one request at a time in the
 * application, the next one handed over only once the answer before it has been sent (its
 * 'finish'), at setImmediate; and a connection with more than MAX_PIPELINED requests outstanding
 * is closed before the extra request reaches any middleware.
 *
 * Why: Node parses the requests a client pipelines on a connection as soon as it reads them and
 * hands each to the application, whether or not the client reads the answers; and the next one of
 * them is parsed and served in the very tick in which the answer before it was written, so a
 * pipelining connection whose answers the kernel keeps taking is served request after request
 * without the event loop polling for anybody else. Measured on the built server (development mode,
 * 20 connections each writing 2,000 pipelined introspection queries at once): another client's
 * request waited 5.6–11.5 s when the pipelining clients did not read their answers and more than
 * 20 s when they did; RSS grew by 80 MB in 6 s. With this wrapper: 7–15 ms; the parser stop and
 * Node's own answers above close the ways around it that an attack pass found. HTTP/1.1 answers go
 * out in order anyway, so serving a connection's requests one after another delays nobody who
 * waits for them; a keep-alive client that sends its next request after each answer (every
 * browser and HTTP library) is served at once, as before.
 */
export function boundPipelining(listener: Listener): Listener {
  const serveNext = (socket: Tracked): void => {
    const pending = socket[PENDING]!;
    const next = pending.shift();
    if (!next || socket.destroyed) {
      pending.length = 0;
      socket[SERVING] = false;
      return;
    }
    socket[SERVING] = true;
    const [req, res] = next;
    let served = false;
    const done = () => {
      if (served) return;
      served = true;
      setImmediate(serveNext, socket);
    };
    res.once('finish', done);
    res.once('close', done);
    if (!answeredHere(req, res)) listener(req, res);
  };
  return (req, res) => {
    const socket = req.socket as Tracked;
    const pending = (socket[PENDING] ??= []);
    if (pending.length + (socket[SERVING] ? 1 : 0) >= MAX_PIPELINED || socket.destroyed) {
      stopParsing(socket);
      socket.destroy();
      return;
    }
    pending.push([req, res]);
    if (!socket[SERVING]) serveNext(socket);
  };
}
