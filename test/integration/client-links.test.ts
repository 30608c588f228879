import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { Client, fetchExchange } from '@urql/core';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createPlintoAuthLink, toDocumentNode as apolloDocument } from '../../client/src/apollo.js';
import { AuditLogDocument, MeDocument, PlintoClient, memoryStorage } from '../../client/src/index.js';
import { plintoAuthExchange, toDocumentNode as urqlDocument } from '../../client/src/urql.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { useServer } from '../helpers/use-server.js';

function countingFetch() {
  const counts = { requests: 0, refreshes: 0, authorized: 0 };
  const counted: typeof fetch = (input, init) => {
    counts.requests += 1;
    if (typeof init?.body === 'string' && init.body.includes('refreshSession')) counts.refreshes += 1;
    if (new Headers(init?.headers).has('authorization')) counts.authorized += 1;
    return fetch(input, init);
  };
  return { counts, counted };
}

describe('the Apollo link and the urql exchange when the session has ended (SQLite)', () => {
  const ctx = useServer('sqlite');

  /** A client holding an expired access token and the refresh token of a session revoked meanwhile. */
  async function endedSession(fetchImpl: typeof fetch, onSignOut: () => void): Promise<PlintoClient> {
    const url = `${ctx.server.url}/graphql`;
    const first = new PlintoClient({ url });
    const signUp = await first.signUp({ email: uniqueEmail('links'), password: STRONG_PASSWORD });
    if (signUp.__typename !== 'SignInSuccess') throw new Error(signUp.__typename);
    const key = await ctx.server.app.services.signingKeys.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ sid: signUp.session.id, amr: ['pwd'] })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
      .setSubject(signUp.user.id)
      .setIssuer(ctx.server.app.config.appUrl)
      .setAudience('plinto')
      .setIssuedAt(now - 1000)
      .setExpirationTime(now - 100)
      .sign(key.privateKey!);
    expect(await first.signOut()).toBe(true); // the session is revoked: its refresh token is dead
    const mode = memoryStorage();
    await mode.tokenStore.set({ accessToken: expired, refreshToken: signUp.tokens.refreshToken });
    return new PlintoClient({ url, fetch: fetchImpl, onSignOut, ...mode });
  }

  it('Apollo: one refused refresh for 3 concurrent operations, tokens cleared, onSignOut once, UNAUTHENTICATED returned', async () => {
    const { counts, counted } = countingFetch();
    let signOuts = 0;
    const client = await endedSession(counted, () => (signOuts += 1));
    const apollo = new ApolloClient({
      link: ApolloLink.from([
        createPlintoAuthLink({ client }),
        new HttpLink({ uri: `${ctx.server.url}/graphql`, fetch: counted }),
      ]),
      cache: new InMemoryCache(),
    });
    // Different variables: neither library may merge the three operations into one.
    const auditLog = apolloDocument(AuditLogDocument);
    const outcomes = await Promise.allSettled(
      [1, 2, 3].map((first) =>
        apollo.query({ query: auditLog, fetchPolicy: 'no-cache', variables: { first } }),
      ),
    );
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as unknown;
      expect(CombinedGraphQLErrors.is(error)).toBe(true);
      expect((error as CombinedGraphQLErrors).errors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(counts.refreshes).toBe(1);
    expect(signOuts).toBe(1);
    expect(await client.tokens()).toBeNull();
    // Signed out: the next operation goes without a token and does not try to refresh again.
    const before = { ...counts };
    await expect(
      apollo.query({ query: auditLog, fetchPolicy: 'no-cache', variables: { first: 9 } }),
    ).rejects.toThrow();
    expect(counts.refreshes).toBe(before.refreshes);
    expect(counts.authorized).toBe(before.authorized);
  });

  it('urql: one refused refresh for 3 concurrent operations, tokens cleared, onSignOut once, UNAUTHENTICATED returned', async () => {
    const { counts, counted } = countingFetch();
    let signOuts = 0;
    const client = await endedSession(counted, () => (signOuts += 1));
    const urql = new Client({
      url: `${ctx.server.url}/graphql`,
      fetch: counted,
      exchanges: [plintoAuthExchange({ client }), fetchExchange],
      requestPolicy: 'network-only',
    });
    const auditLog = urqlDocument(AuditLogDocument);
    const results = await Promise.all([1, 2, 3].map((first) => urql.query(auditLog, { first }).toPromise()));
    for (const result of results) {
      expect(result.data ?? null).toBeNull();
      expect(result.error?.graphQLErrors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(counts.refreshes).toBe(1);
    expect(signOuts).toBe(1);
    expect(await client.tokens()).toBeNull();
  });
  it('Apollo: sends the stored access token, replacing an Authorization header of any casing from the context', async () => {
    const sent: Array<string | null> = [];
    const url = `${ctx.server.url}/graphql`;
    const client = new PlintoClient({ url, ...memoryStorage() });
    const signUp = await client.signUp({ email: uniqueEmail('links-header'), password: STRONG_PASSWORD });
    if (signUp.__typename !== 'SignInSuccess') throw new Error(signUp.__typename);
    const recording: typeof fetch = (input, init) => {
      sent.push(new Headers(init?.headers).get('authorization'));
      return fetch(input, init);
    };
    const apollo = new ApolloClient({
      link: ApolloLink.from([createPlintoAuthLink({ client }), new HttpLink({ uri: url, fetch: recording })]),
      cache: new InMemoryCache(),
    });
    const { data } = await apollo.query({
      query: apolloDocument(MeDocument),
      fetchPolicy: 'no-cache',
      context: { headers: { Authorization: 'Bearer someone-elses-token' } },
    });
    expect(data?.me.id).toBe(signUp.user.id);
    expect(sent).toEqual([`Bearer ${signUp.tokens.accessToken}`]);
  });
});
