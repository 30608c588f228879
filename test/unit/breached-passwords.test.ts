import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { BreachedPasswords } from '../../src/security/breached-passwords.js';
import { CapturedLog } from '../helpers/captured-log.js';

/**
 * The breached-password check (src/security/breached-passwords.ts) against a local stand-in for
 * the Pwned Passwords range API (a third-party HTTP API): what leaves the process, how an answer
 * is read, and failing open. test/integration/password-policy.test.ts proves the same through
 * sign-up; this file is fast enough for Stryker.
 */
const BREACHED = 'my favourite breached passphrase 1';
const CLEAN = 'a passphrase nobody has leaked 7';
const sha1 = (value: string) => createHash('sha1').update(value, 'utf8').digest('hex').toUpperCase();

interface Seen {
  url: string;
  padding: string | undefined;
  userAgent: string | undefined;
}
/** What the stand-in answers next: a status and body, or nothing at all (a hung API). */
let answer: ((prefix: string) => { status: number; body: string }) | 'hang';
const seen: Seen[] = [];
const hung: ServerResponse[] = [];
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({
      url: req.url ?? '',
      padding: req.headers['add-padding'] as string | undefined,
      userAgent: req.headers['user-agent'],
    });
    if (answer === 'hang') {
      hung.push(res);
      return;
    }
    const { status, body } = answer((req.url ?? '').split('/').pop() ?? '');
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/range`;
});
afterAll(async () => {
  for (const res of hung) res.destroy();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
  answer = rangeOf([]);
});

/** A range answer: two padding lines of count 0, then the given lines, CRLF-separated as the API does. */
function rangeOf(lines: string[]): (prefix: string) => { status: number; body: string } {
  return () => ({ status: 200, body: [`${'0'.repeat(35)}:0`, `${'F'.repeat(35)}:0`, ...lines].join('\r\n') });
}

function checker(url = baseUrl, timeoutMs?: number) {
  const metrics = new Metrics();
  const log = new CapturedLog();
  const breached = new BreachedPasswords(url, metrics, createLogger('info', log), timeoutMs);
  const checks = async () =>
    Object.fromEntries(
      (await metrics.breachedPasswordChecks.get()).values.map((v) => [v.labels.result, v.value]),
    );
  return { breached, log, checks };
}

describe('breached-password check', () => {
  it('sends only the first five upper-case hex digits of the SHA-1, with padding and a user agent', async () => {
    const { breached } = checker();
    await breached.check(BREACHED);
    expect(seen).toEqual([
      { url: `/range/${sha1(BREACHED).slice(0, 5)}`, padding: 'true', userAgent: 'plinto' },
    ]);
  });

  it('joins the base URL with or without a trailing slash', async () => {
    await checker(`${baseUrl}/`).breached.check(CLEAN);
    await checker(baseUrl).breached.check(CLEAN);
    const path = `/range/${sha1(CLEAN).slice(0, 5)}`;
    expect(seen.map((s) => s.url)).toEqual([path, path]);
  });

  it('answers breached when the suffix is listed with a positive count, and counts it', async () => {
    answer = rangeOf([`${sha1(BREACHED).slice(5)}:4242`]);
    const { breached, checks, log } = checker();
    expect(await breached.check(BREACHED)).toBe('breached');
    expect(await checks()).toEqual({ breached: 1 });
    expect(log.lines).toEqual([]);
  });

  it('reads a suffix in any case, with whitespace around the line', async () => {
    answer = rangeOf([`  ${sha1(BREACHED).slice(5).toLowerCase()}:3  `]);
    expect(await checker().breached.check(BREACHED)).toBe('breached');
  });

  it('answers clean for an unlisted suffix, a padding line of count 0 and another password’s suffix', async () => {
    answer = rangeOf([`${sha1(CLEAN).slice(5)}:0`, `${sha1(BREACHED).slice(5)}:17`]);
    const { breached, checks, log } = checker();
    expect(await breached.check(CLEAN)).toBe('clean');
    expect(await breached.check('yet another unlisted passphrase')).toBe('clean');
    expect(await checks()).toEqual({ clean: 2 });
    expect(log.lines).toEqual([]);
  });

  it('does not match on the prefix or on the whole hash', async () => {
    const hash = sha1(BREACHED);
    answer = rangeOf([`${hash.slice(0, 5)}:9`, `${hash}:9`, `${hash.slice(0, 35)}:9`]);
    expect(await checker().breached.check(BREACHED)).toBe('clean');
  });

  it('fails open on an error status, with a metric and a log line naming the status', async () => {
    answer = () => ({ status: 503, body: `${sha1(BREACHED).slice(5)}:4242` });
    const { breached, checks, log } = checker();
    expect(await breached.check(BREACHED)).toBe('unavailable');
    expect(await checks()).toEqual({ unavailable: 1 });
    expect(log.lines.map(({ level, msg, err }) => ({ level, msg, err }))).toEqual([
      {
        level: 40,
        msg: 'breached-password check unavailable: password accepted without it',
        err: expect.objectContaining({ message: 'range API answered 503' }),
      },
    ]);
    expect(log.text).not.toContain(BREACHED);
  });

  it('fails open when the API does not answer within its timeout', async () => {
    answer = 'hang';
    const { breached, checks, log } = checker(baseUrl, 200);
    expect(await breached.check(BREACHED)).toBe('unavailable');
    expect(await checks()).toEqual({ unavailable: 1 });
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]!.err.message).toMatch(/timeout|abort/i);
  });

  it('fails open when nothing listens at the address', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { breached, checks } = checker(`http://127.0.0.1:${port}/range/`);
    expect(await breached.check(BREACHED)).toBe('unavailable');
    expect(await checks()).toEqual({ unavailable: 1 });
  });
});
