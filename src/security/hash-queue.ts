import { ServiceUnavailableError } from '../errors.js';

/**
 * Bounds password hashing: at most `concurrency` hashes run (on libuv's thread pool, off the
 * event loop) and at most `queueLimit` wait. Past that a caller gets SERVICE_UNAVAILABLE at once
 * instead of queueing without bound, so a sign-in flood cannot exhaust memory.
 */
export class HashQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
  ) {}

  get depth(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) {
        throw new ServiceUnavailableError('The server is busy; retry shortly.');
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
