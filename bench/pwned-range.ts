/**
 * A local stand-in for the Pwned Passwords range API (https://api.pwnedpasswords.com/range/XXXXX),
 * so that the bench measures sign-up with the breached-password check working, as in a real
 * deployment, on a machine that cannot reach the real one (the server then fails open on every
 * sign-up: a failed fetch and a warning line each, which is not what production does).
 *
 * It answers the k-anonymity format: one `SUFFIX:COUNT` line (35 upper-case hex digits, CRLF) per
 * hash of the asked 5-digit prefix. With `Add-Padding: true` (Plinto always sends it) the real API
 * pads every answer to 800–1,000 lines with `:0` entries; this one answers 900 lines (about 750
 * "breached" and 150 padding, about 36 kB), made up from the prefix, the same for the same prefix.
 * The passwords the bench signs up with are not among them (35 random hex digits never collide).
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

const LINES = 900;
const PADDING = 150;

/** The body for one prefix: deterministic, so that repeated look-ups get the same answer. */
function rangeBody(prefix: string): string {
  const lines: string[] = [];
  for (let i = 0; i < LINES; i += 1) {
    const suffix = createHash('sha1').update(`${prefix}:${i}`).digest('hex').slice(0, 35).toUpperCase();
    const count = i < LINES - PADDING ? 1 + ((i * 7919) % 5000) : 0;
    lines.push(`${suffix}:${count}`);
  }
  return lines.sort().join('\r\n');
}

export interface PwnedRangeStandIn {
  /** The base URL to give the server as PWNED_PASSWORDS_URL. */
  url: string;
  /** Range look-ups answered so far. */
  lookups: () => number;
  close: () => void;
}

export async function startPwnedRange(port: number): Promise<PwnedRangeStandIn> {
  const bodies = new Map<string, Buffer>();
  let lookups = 0;
  const server = createServer((req, res) => {
    req.resume();
    const match = /^\/range\/([0-9A-Fa-f]{5})$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !match) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const prefix = match[1]!.toUpperCase();
    let body = bodies.get(prefix);
    if (!body) {
      body = Buffer.from(rangeBody(prefix), 'utf8');
      bodies.set(prefix, body);
    }
    lookups += 1;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/range/`,
    lookups: () => lookups,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
