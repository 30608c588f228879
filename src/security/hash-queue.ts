import { ServiceBusyError } from '../domain-errors.js';

/** Has the caller gone away (the client closed its connection)? Asked before any hash starts. */
export type CallerGone = () => boolean;

/**
 * The client closed its connection while its hash waited: nobody will read the answer, so the
 * hash is not spent. Clients that time out and retry under load then cost one hash, not two.
 */
export class AbandonedRequestError extends ServiceBusyError {
  constructor() {
    super('The request was abandoned by its client.');
  }
}

interface Waiter {
  start: () => void;
  abandon: () => void;
  gone: CallerGone | undefined;
}

/**
 * Bounds password hashing: at most `concurrency` hashes run (on libuv's thread pool, off the
 * event loop) and at most `queueLimit` wait. Past that a caller gets SERVICE_UNAVAILABLE at once
 * instead of queueing without bound, so a sign-in flood cannot exhaust memory. A waiting caller
 * whose client has gone is dropped when its turn comes, before any hashing.
 */
export class HashQueue {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private abandonedCount = 0;
  /** Told each time a caller enters (to run or to wait): the GraphQL admission gate stops counting it. */
  onEnter: (() => void) | null = null;

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
  ) {}

  /** Callers waiting for a hashing slot. */
  get depth(): number {
    return this.waiting.length;
  }

  /** Hashes running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Callers dropped because their client left before their hash started. */
  get abandoned(): number {
    return this.abandonedCount;
  }

  async run<T>(task: () => Promise<T>, gone?: CallerGone): Promise<T> {
    if (gone?.()) {
      this.abandonedCount += 1;
      throw new AbandonedRequestError();
    }
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) {
        throw new ServiceBusyError('The server is busy; retry shortly.');
      }
      // The slot is handed over by the caller that frees it: `running` stays counted for us.
      const turn = new Promise<void>((start, reject) =>
        this.waiting.push({ start, abandon: () => reject(new AbandonedRequestError()), gone }),
      );
      this.onEnter?.();
      await turn;
    } else {
      this.running += 1;
      this.onEnter?.();
    }
    try {
      return await task();
    } finally {
      this.handOver();
    }
  }

  private handOver(): void {
    for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
      if (next.gone?.()) {
        this.abandonedCount += 1;
        next.abandon();
        continue;
      }
      next.start();
      return;
    }
    this.running -= 1;
  }
}
