import { createHash } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

/** How long a range look-up may take before the check fails open. */
export const BREACHED_LOOKUP_TIMEOUT_MS = 2000;

export type BreachedAnswer = 'breached' | 'clean' | 'unavailable';

/**
 * Breached-password check over the k-anonymity range API (Pwned Passwords): only the first five
 * hex digits of the password's SHA-1 leave the process, with `Add-Padding: true` so the answer's
 * size does not tell which range was asked. A timeout or an outage fails open (the password is
 * accepted), with a metric and a log line: the check must never block sign-up.
 */
export class BreachedPasswords {
  constructor(
    private readonly baseUrl: string,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly timeoutMs = BREACHED_LOOKUP_TIMEOUT_MS,
  ) {}

  async check(password: string): Promise<BreachedAnswer> {
    const sha1 = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const prefix = sha1.slice(0, 5);
    const suffix = sha1.slice(5);
    let answer: BreachedAnswer;
    try {
      const base = this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`;
      const response = await fetch(`${base}${prefix}`, {
        headers: { 'Add-Padding': 'true', 'User-Agent': 'plinto' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok) throw new Error(`range API answered ${response.status}`);
      answer = 'clean';
      for (const line of (await response.text()).split('\n')) {
        const [hashSuffix, count] = line.trim().split(':');
        // Padding lines have a count of 0: never a match.
        if (hashSuffix?.toUpperCase() === suffix && Number(count) > 0) {
          answer = 'breached';
          break;
        }
      }
    } catch (error) {
      answer = 'unavailable';
      this.logger.warn(
        { err: { message: (error as Error).message } },
        'breached-password check unavailable: password accepted without it',
      );
    }
    this.metrics.breachedPasswordChecks.inc({ result: answer });
    return answer;
  }
}
