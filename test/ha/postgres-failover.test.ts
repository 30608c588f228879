import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, REFRESH, SIGN_IN, SIGN_UP, STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { PostgresPair, sqlAt } from '../helpers/postgres-pair.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { outcome } from './ha-traffic.js';

/**
 * What a well-behaved client may see during a failover: success, "retry shortly", and, retrying a
 * sign-up whose commit survived while its answer was lost, "that email is taken".
 */
const ACCEPTABLE = new Set(['SignInSuccess', 'SERVICE_UNAVAILABLE', 'EmailTaken on retry']);

interface ClientState {
  acknowledgedEmails: string[];
  /** Sign-ups answered SERVICE_UNAVAILABLE whose retry found the account made after all. */
  committedUnacknowledged: string[];
  /** The refresh token of the client's session, as last acknowledged. */
  refreshToken: string | null;
  answers: Array<{ at: number; operation: string; outcome: string }>;
}

/**
 * One client: signs up new accounts and rotates its session's refresh token, one request at a
 * time; an answer of SERVICE_UNAVAILABLE is retried with the same input, as clients are told to.
 */
async function client(url: string, state: ClientState, stopped: () => boolean): Promise<void> {
  let pendingEmail: string | null = null;
  for (let round = 0; round < 400 && !stopped(); round += 1) {
    const email: string = pendingEmail ?? uniqueEmail('failover');
    const signUp = await gql(url, SIGN_UP, { email, password: STRONG_PASSWORD });
    let signedUp = outcome(signUp, 'signUp');
    if (signedUp === 'EmailTaken' && pendingEmail) {
      signedUp = 'EmailTaken on retry';
      state.committedUnacknowledged.push(email);
    }
    state.answers.push({ at: Date.now(), operation: 'signUp', outcome: signedUp });
    pendingEmail = signedUp === 'SERVICE_UNAVAILABLE' ? email : null;
    if (signedUp === 'SignInSuccess') {
      state.acknowledgedEmails.push(email);
      state.refreshToken ??= signUp.body.data!.signUp.tokens.refreshToken as string;
    }
    if (!state.refreshToken) continue;
    const refresh = await gql(url, REFRESH, { refreshToken: state.refreshToken });
    const refreshed = outcome(refresh, 'refreshSession');
    state.answers.push({ at: Date.now(), operation: 'refresh', outcome: refreshed });
    if (refreshed === 'SignInSuccess') {
      state.refreshToken = refresh.body.data!.refreshSession.tokens.refreshToken as string;
    }
  }
}

describe('PostgreSQL primary fails over to its streaming standby behind one address', () => {
  const pair = new PostgresPair();
  let address: TcpProxy;
  let server: TestServer;

  beforeAll(async () => {
    await pair.start();
    await sqlAt(pair.primaryPort, 'create database plinto');
    // The address the app knows stands for a virtual IP / Kubernetes Service in front of the primary.
    address = new TcpProxy(pair.primaryPort);
    await address.listen();
    const url = `postgres://postgres@127.0.0.1:${address.port}/plinto?target_session_attrs=read-write`;
    server = await startServer(
      { backend: 'postgresql', url, drop: async () => undefined },
      // A retried refresh whose first answer was lost in the crash gets the same new pair.
      { REFRESH_GRACE_SECONDS: '30' },
    );
  });
  afterAll(async () => {
    await server?.close();
    await address?.close();
    await pair.stop();
  });

  it('loses no acknowledged sign-up or rotation, answers only SERVICE_UNAVAILABLE meanwhile, and recovers without a restart', async () => {
    const clients: ClientState[] = [0, 1, 2].map(() => ({
      acknowledgedEmails: [],
      committedUnacknowledged: [],
      refreshToken: null,
      answers: [],
    }));
    let stopped = false;
    const running = clients.map((state) => client(server.url, state, () => stopped));
    const acknowledged = () => clients.reduce((n, c) => n + c.acknowledgedEmails.length, 0);
    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50));
    };

    await until(() => acknowledged() >= 9);
    const crashedAt = Date.now();
    await pair.crashPrimary();
    // The address moves before the standby is promoted: for a moment it leads to a read-only server,
    // which the pool must refuse (target_session_attrs=read-write) rather than write to.
    address.switchTo(pair.standbyPort);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await sqlAt(pair.standbyPort, 'select pg_is_in_recovery() as standby')).rows[0].standby).toBe(
      true,
    );
    await pair.promoteStandby();
    const promotedAt = Date.now();
    const before = acknowledged();
    await until(() => acknowledged() >= before + 9);
    stopped = true;
    await Promise.all(running);

    const answers = clients.flatMap((c) => c.answers);
    expect(answers.filter((answer) => !ACCEPTABLE.has(answer.outcome))).toEqual([]);
    expect(answers.some((answer) => answer.at > crashedAt && answer.at < promotedAt)).toBe(true);

    // Every acknowledged account exists on the new primary and signs in.
    const emails = clients.flatMap((c) => [...c.acknowledgedEmails, ...c.committedUnacknowledged]);
    const stored = await sqlAt(
      pair.standbyPort,
      'select count(*)::int as n from users where email = any($1)',
      [emails],
      'plinto',
    );
    expect(stored.rows[0].n).toBe(emails.length);
    for (const email of emails.slice(0, 3).concat(emails.slice(-3))) {
      const signIn = await gql(server.url, SIGN_IN, { email, password: STRONG_PASSWORD });
      expect(outcome(signIn, 'signIn')).toBe('SignInSuccess');
    }
    // No session is half-rotated: each client's last acknowledged refresh token still rotates.
    for (const state of clients) {
      const refresh = await gql(server.url, REFRESH, { refreshToken: state.refreshToken });
      expect(outcome(refresh, 'refreshSession')).toBe('SignInSuccess');
    }
  }, 120_000);
});
