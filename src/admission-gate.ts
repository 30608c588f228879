import type { IncomingMessage, ServerResponse } from 'node:http';

type Next = (error?: unknown) => void;

const QUEUED_SINCE = Symbol('plinto.queuedSince');
type Tagged = IncomingMessage & { [QUEUED_SINCE]?: bigint };

/** When a request that had to wait at the gate got there (process.hrtime.bigint()); undefined for one admitted at once. */
export function queuedSince(req: IncomingMessage): bigint | undefined {
  return (req as Tagged)[QUEUED_SINCE];
}

interface Queued {
  req: IncomingMessage;
  res: ServerResponse;
  next: Next;
}

/**
 * Lets at most `limit` GraphQL requests past it at once; the others wait in arrival order with
 * nothing allocated for them but the request and its parsed body (no context, no Apollo or
 * graphql-js execution state), and go on as admitted ones finish. It stands after the body parser:
 * a client that trickles its body in holds no slot, so a few slow clients cannot stall the rest.
 *
 * Why (issue 24): with 2,000 keep-alive connections in a closed loop, 2,000 requests are inside
 * the server at once, each for seconds; every one of them outlives the young generation and is
 * promoted, so the old generation grows by tens of MB and is mark-compacted over and over. Behind
 * the gate only `limit` requests are being executed; they finish in milliseconds and die young.
 *
 * Requests waiting for a password hash do not count (`parked`: the hash queue's running and
 * waiting callers, which that queue bounds itself), so a sign-in flood cannot fill the gate and
 * hold `me` behind seconds of hashing. Call `pump()` when `parked` grows.
 *
 * A waiting request whose client has gone is dropped when its turn comes, unanswered (there is
 * nobody to answer). Nothing is refused: the gate only orders. A slot is held while the request is
 * executed, not while its answer waits for a client that does not read it.
 */
export class AdmissionGate {
  private active = 0;
  private readonly queue: Queued[] = [];
  private head = 0;

  constructor(
    readonly limit: number,
    private readonly parked: () => number = () => 0,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('the gate needs a limit of at least 1');
  }

  /** Requests past the gate and not yet answered (those waiting for a hash included). */
  get inFlight(): number {
    return this.active;
  }

  /** Requests waiting at the gate. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** The Express middleware (mount it after the body parser, just before GraphQL). */
  readonly handler = (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    if (this.waiting === 0 && this.hasRoom()) {
      this.admit(res, next);
      return;
    }
    (req as Tagged)[QUEUED_SINCE] = process.hrtime.bigint();
    this.queue.push({ req, res, next });
  };

  /** Admits waiting requests while there is room (after a release, or when `parked` grows). */
  pump(): void {
    while (this.head < this.queue.length && this.hasRoom()) {
      const { req, res, next } = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Queued;
      if (req.socket.destroyed || res.writableEnded) continue;
      this.admit(res, next);
    }
    // Compact once the consumed prefix dominates, so the array does not grow for ever.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    } else if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
  }

  private hasRoom(): boolean {
    return this.active - this.parked() < this.limit;
  }

  private admit(res: ServerResponse, next: Next): void {
    this.active += 1;
    // The slot is freed when the answer has been handed to Node (res.end returns), or when the
    // client leaves first ('close'), whichever comes first, and only once. Not on 'finish' or on
    // 'close' alone: both wait for the socket, so a client that never reads its answers (a large
    // answer, or pipelined requests whose answers queue behind it) would hold its slots for as long
    // as it keeps the connection open, and a few such clients would stall every GraphQL request.
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      res.off('close', release);
      this.active -= 1;
      this.pump();
    };
    const end = res.end;
    res.end = function (this: ServerResponse, ...args: Parameters<ServerResponse['end']>) {
      const result = end.apply(this, args);
      res.end = end;
      release();
      return result;
    } as ServerResponse['end'];
    res.once('close', release);
    next();
  }
}
