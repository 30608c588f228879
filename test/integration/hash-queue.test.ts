import { request } from 'node:http';
import type { ClientRequest } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { gql, SIGN_IN, SIGN_UP, STRONG_PASSWORD } from '../helpers/graphql.js';
import { passwordChecks } from '../helpers/metrics.js';
import { useServer } from '../helpers/use-server.js';

/**
 * One hashing slot and a bcrypt cost high enough (about 0.4 s a hash here) that callers queue
 * behind it for as long as the test needs to look at them.
 */
const ENV = { HASH_CONCURRENCY: '1', HASH_QUEUE_LIMIT: '3', BCRYPT_COST: '13' };

describe('the password-hashing queue', () => {
  const ctx = useServer('postgresql', ENV);
  const email = 'queue@example.com';

  beforeAll(async () => {
    const signUp = await gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    expect(signUp.body.data?.signUp.__typename).toBe('SignInSuccess');
  });

  const scrape = async () => {
    const text = await (await fetch(`${ctx.server.url}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    return {
      depth: value('plinto_password_hash_queue_depth'),
      inFlight: value('plinto_password_hashes_in_flight'),
      abandoned: value('plinto_password_hashes_abandoned_total'),
    };
  };

  const waitFor = async (check: (m: Awaited<ReturnType<typeof scrape>>) => boolean) => {
    for (let i = 0; i < 200; i += 1) {
      const readings = await scrape();
      if (check(readings)) return readings;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`metrics never matched: ${JSON.stringify(await scrape())}`);
  };

  /** A sign-in on its own connection, so that the test can hang up on it. */
  const rawSignIn = (): ClientRequest => {
    const url = new URL(`${ctx.server.url}/graphql`);
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json' },
    });
    req.on('error', () => undefined);
    req.end(JSON.stringify({ query: SIGN_IN, variables: { email, password: STRONG_PASSWORD } }));
    return req;
  };

  it('answers past the queue limit with SERVICE_UNAVAILABLE at once, and serves the queued callers', async () => {
    const queued = Array.from({ length: 4 }, () =>
      gql(ctx.server.url, SIGN_IN, { email, password: STRONG_PASSWORD }),
    );
    // One hashing, three waiting: the queue is full.
    const full = await waitFor((m) => m.inFlight === 1 && m.depth === 3);
    expect(full).toMatchObject({ inFlight: 1, depth: 3 });
    const refused = await gql(ctx.server.url, SIGN_IN, { email, password: STRONG_PASSWORD });
    expect(refused.status).toBe(200);
    expect(refused.body.errors?.[0]?.message).toBe('The server is busy; retry shortly.');
    expect(refused.body.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    expect(refused.text).not.toMatch(/at \w+ \(|node_modules/);
    const answers = await Promise.all(queued);
    expect(answers.map((a) => a.body.data?.signIn.__typename)).toEqual(Array(4).fill('SignInSuccess'));
    expect(await scrape()).toMatchObject({ depth: 0, inFlight: 0 });
  });

  it('does not spend a hash on a caller whose client hung up while waiting', async () => {
    const checksBefore = await passwordChecks(ctx.server.app.services.metrics);
    const { abandoned: abandonedBefore } = await scrape();
    const first = gql(ctx.server.url, SIGN_IN, { email, password: STRONG_PASSWORD });
    await waitFor((m) => m.inFlight === 1);
    const hungUp = [rawSignIn(), rawSignIn(), rawSignIn()];
    await waitFor((m) => m.depth === 3);
    for (const req of hungUp) req.destroy();

    expect((await first).body.data?.signIn.__typename).toBe('SignInSuccess');
    const after = await waitFor((m) => m.depth === 0 && m.inFlight === 0);
    expect(after.abandoned - abandonedBefore).toBe(3);
    // Only the sign-in whose client stayed cost a hash.
    expect((await passwordChecks(ctx.server.app.services.metrics)) - checksBefore).toBe(1);

    // A later caller is served at once: the abandoned callers gave their slot back.
    const next = await gql(ctx.server.url, SIGN_IN, { email, password: STRONG_PASSWORD });
    expect(next.body.data?.signIn.__typename).toBe('SignInSuccess');
  });
});
