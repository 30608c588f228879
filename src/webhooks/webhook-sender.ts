import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { SecretBox } from '../security/crypto.js';
import type { WebhookEndpoint } from '../storage/entities/index.js';
import type { AddressPolicy } from './address-guard.js';
import { checkEndpointUrl, hostOf, isForbiddenAddress } from './address-guard.js';

export const SECRET_PURPOSE = 'webhook-endpoint-secret';

export interface WebhookSenderSettings {
  /** One POST's whole budget (connect, send, answer): 10 s. */
  timeoutMs: number;
  /** POSTs in flight at once (sockets per protocol). */
  concurrency: number;
  policy: AddressPolicy;
}

export type AttemptOutcome =
  { ok: true; status: number } | { ok: false; status: number | null; reason: string };

/** Refused before a connection is made: the address the name resolved to is not allowed. */
class ForbiddenAddressError extends Error {
  readonly code = 'WEBHOOK_FORBIDDEN_ADDRESS';
}

/** The whsec_ secret opened from an endpoint row (and the previous one while it still signs). */
export function signingSecrets(box: SecretBox, endpoint: WebhookEndpoint, now: Date): string[] {
  const secrets = [box.open(SECRET_PURPOSE, endpoint.secret)];
  if (endpoint.previousSecret && endpoint.previousSecretRetiredAt && endpoint.previousSecretRetiredAt > now) {
    secrets.push(box.open(SECRET_PURPOSE, endpoint.previousSecret));
  }
  return secrets;
}

/** Standard Webhooks headers; during a rotation's overlap one signature per secret, space-separated. */
export function signedHeaders(
  signers: Webhook[],
  id: string,
  at: Date,
  body: string,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': 'Plinto-Webhooks/1',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signers.map((signer) => signer.sign(id, at, body)).join(' '),
  };
}

/**
 * The HTTP side of webhooks: one signed POST per attempt over keep-alive agents whose DNS lookup
 * checks every address it hands to a socket (SSRF, DNS rebinding); redirects are not followed.
 */
export class WebhookSender {
  private readonly inFlight = new Set<AbortController>();
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(
    private readonly box: SecretBox,
    private readonly settings: WebhookSenderSettings,
  ) {
    const lookup = this.pinnedLookup.bind(this);
    this.agents = {
      http: new http.Agent({
        keepAlive: true,
        maxSockets: settings.concurrency,
        lookup,
      } as http.AgentOptions),
      https: new https.Agent({
        keepAlive: true,
        maxSockets: settings.concurrency,
        lookup,
      } as https.AgentOptions),
    };
  }

  /** Aborts the POSTs in flight (shutdown): their claims expire and a replica sends them again. */
  abortAll(): void {
    for (const controller of this.inFlight) controller.abort();
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** One signed POST: 10 s in all, no redirects followed, the connected address checked after DNS. */
  async attempt(
    endpoint: WebhookEndpoint,
    eventId: string,
    body: string,
    now: Date,
  ): Promise<AttemptOutcome> {
    const check = checkEndpointUrl(endpoint.url, this.settings.policy);
    if (!check.ok) return { ok: false, status: null, reason: `url refused: ${check.reason}` };
    const url = check.url;
    const host = hostOf(url);
    if (!this.settings.policy.allowPrivateNetworks && isIP(host) !== 0 && isForbiddenAddress(host)) {
      return { ok: false, status: null, reason: 'address refused: private, loopback or link-local' };
    }
    // The signature's timestamp is the wall clock (receivers compare it with theirs), not the scheduling clock.
    const headers = signedHeaders(this.signersOf(endpoint, now), eventId, new Date(), body);
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), this.settings.timeoutMs);
    try {
      const status = await this.post(url, headers, body, controller.signal);
      if (status >= 200 && status < 300) return { ok: true, status };
      return {
        ok: false,
        status,
        reason: status >= 300 && status < 400 ? `redirect ${status} not followed` : `http ${status}`,
      };
    } catch (error) {
      return { ok: false, status: null, reason: describe(error, controller.signal.aborted) };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  /** The endpoint's signers (opened secrets), kept per endpoint row version (a rotation changes the sealed value). */
  private readonly openedSecrets = new Map<
    string,
    { sealed: string; retiredAt: number; secrets: Webhook[] }
  >();

  private signersOf(endpoint: WebhookEndpoint, now: Date): Webhook[] {
    const retiredAt = endpoint.previousSecretRetiredAt?.getTime() ?? 0;
    const live = retiredAt > now.getTime();
    const cached = this.openedSecrets.get(endpoint.id);
    if (
      cached &&
      cached.sealed === endpoint.secret &&
      cached.retiredAt === retiredAt &&
      (live || cached.secrets.length === 1)
    ) {
      return cached.secrets;
    }
    const secrets = signingSecrets(this.box, endpoint, now).map((secret) => new Webhook(secret));
    if (this.openedSecrets.size > 1000) this.openedSecrets.clear();
    this.openedSecrets.set(endpoint.id, { sealed: endpoint.secret, retiredAt, secrets });
    return secrets;
  }

  private post(
    url: URL,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<number> {
    const secure = url.protocol === 'https:';
    const request = secure ? https.request : http.request;
    return new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: secure ? this.agents.https : this.agents.http,
          headers,
          signal,
        },
        (res) => {
          // The answer's body is not read beyond a little: only the status counts.
          let seen = 0;
          res.on('data', (chunk: Buffer) => {
            seen += chunk.length;
            if (seen > 64 * 1024) res.destroy();
          });
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('close', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * The agents' DNS lookup: resolves, then refuses when any address is forbidden, and hands the
   * socket only addresses it checked, so the connection goes where the check looked (no rebinding).
   */
  private pinnedLookup(
    hostname: string,
    options: { all?: boolean; family?: number },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void {
    dnsLookup(hostname, { all: true, verbatim: true, family: options.family ?? 0 }, (error, addresses) => {
      if (error) return callback(error, []);
      if (
        !this.settings.policy.allowPrivateNetworks &&
        (addresses.length === 0 || addresses.some((a) => isForbiddenAddress(a.address)))
      ) {
        return callback(new ForbiddenAddressError(`${hostname} resolves to a forbidden address`), []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  }
}

function describe(error: unknown, aborted: boolean): string {
  if (error instanceof ForbiddenAddressError) return 'address refused: private, loopback or link-local';
  if (aborted) return 'timed out or aborted';
  const code = (error as { code?: string }).code;
  return code ? `network error ${code}` : 'network error';
}
