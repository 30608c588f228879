import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, gql, ME, SIGN_IN, SIGN_UP, STRONG_PASSWORD } from '../helpers/graphql.js';
import { useServer } from '../helpers/use-server.js';

/**
 * The GraphQL admission gate (src/admission-gate.ts) in the real app, at its smallest: one request
 * executed at a time. One hashing slot and a bcrypt cost high enough (about 0.4 s a hash here) that
 * sign-ins wait for their hashes while the test looks.
 */
const ENV = { GRAPHQL_MAX_IN_FLIGHT: '1', HASH_CONCURRENCY: '1', BCRYPT_COST: '13' };

describe('the GraphQL admission gate (GRAPHQL_MAX_IN_FLIGHT=1)', () => {
  const ctx = useServer('postgresql', ENV);
  const email = 'gate@example.com';
  let accessToken: string;

  beforeAll(async () => {
    const signUp = await gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    expect(signUp.body.data?.signUp.__typename).toBe('SignInSuccess');
    accessToken = signUp.body.data?.signUp.tokens.accessToken as string;
  });

  it('answers every one of 40 concurrent requests, each with its own data', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? gql(ctx.server.url, ME, {}, bearer(accessToken))
          : gql(ctx.server.url, `query Echo { __typename }`),
      ),
    );
    answers.forEach((answer, i) => {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      if (i % 2 === 0) expect(answer.body.data?.me.email).toBe(email);
      else expect(answer.body.data?.__typename).toBe('Query');
    });
  });

  it('does not hold `me` behind sign-ins that wait for their hashes', async () => {
    let signInsDone = 0;
    const signIns = Array.from({ length: 3 }, () =>
      gql(ctx.server.url, SIGN_IN, { email, password: STRONG_PASSWORD }).then((answer) => {
        signInsDone += 1;
        return answer;
      }),
    );
    // All three inside the hash queue (one hashing, two waiting): past the gate and not counted by it.
    for (let i = 0; i < 400; i += 1) {
      const text = await (await fetch(`${ctx.server.url}/metrics`)).text();
      if (/^plinto_password_hash_queue_depth 2$/m.test(text)) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const me = await gql(ctx.server.url, ME, {}, bearer(accessToken));
    expect(me.body.data?.me.email).toBe(email);
    // A gate that counted them would have kept `me` waiting until the last hash was done.
    expect(signInsDone).toBeLessThan(3);
    for (const answer of await Promise.all(signIns)) {
      expect(answer.body.data?.signIn.__typename).toBe('SignInSuccess');
    }
  });

  it('holds no slot for a client still sending its body: `me` is answered meanwhile', async () => {
    const { hostname, port } = new URL(ctx.server.url);
    const body = JSON.stringify({ query: '{ __typename }' });
    const slow = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => slow.once('connect', resolve).once('error', reject));
    let slowAnswer = '';
    slow.on('data', (chunk: Buffer) => (slowAnswer += chunk.toString('utf8')));
    try {
      // Headers and half the body; the rest comes only after `me` has been answered.
      slow.write(
        `POST /graphql HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      // With the only slot held by the slow request, this would wait for it (up to the 30 s request
      // timeout) and the test's own timeout would fail it.
      const me = await gql(ctx.server.url, ME, {}, bearer(accessToken));
      expect(me.body.data?.me.email).toBe(email);
      expect(slowAnswer).toBe('');
      slow.write(body.slice(10));
      for (let i = 0; i < 200 && !slowAnswer.includes('__typename'); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(slowAnswer).toMatch(/^HTTP\/1\.1 200/);
      expect(slowAnswer).toContain('"__typename":"Query"');
    } finally {
      slow.destroy();
    }
  }, 10_000);

  it('leaves the probes answering (they pass beside the gate)', async () => {
    expect((await fetch(`${ctx.server.url}/health`)).status).toBe(200);
    expect((await fetch(`${ctx.server.url}/ready`)).status).toBe(200);
  });
});
