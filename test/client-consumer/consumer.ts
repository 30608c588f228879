// A client team's program, written against the installed @plinto/client tarball only (the
// consumer test copies it into a throw-away project, type-checks it with tsc, then runs it).
// `node consumer.js sign-in URL EMAIL PASSWORD` or `node consumer.js refresh URL TOKENS_JSON`;
// prints one JSON line.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { Client, fetchExchange } from '@urql/core';
import { AuditLogDocument, PlintoClient, PlintoError, memoryStorage } from '@plinto/client';
import type { SignInMutation, StoredTokens } from '@plinto/client';
import { createPlintoAuthLink, toDocumentNode as apolloDocument } from '@plinto/client/apollo';
import { plintoAuthExchange, toDocumentNode as urqlDocument } from '@plinto/client/urql';

/** Counts what reaches the network: every request, and the refreshSession mutations among them. */
function countingFetch() {
  const counts = { requests: 0, refreshes: 0 };
  const counted: typeof fetch = (input, init) => {
    counts.requests += 1;
    if (typeof init?.body === 'string' && init.body.includes('refreshSession')) counts.refreshes += 1;
    return fetch(input, init);
  };
  return { counts, counted };
}

/** The result union narrowed as a client team would: tokens exist only on SignInSuccess. */
function describeSignIn(result: SignInMutation['signIn']): string {
  // @ts-expect-error -- not narrowed yet: only SignInSuccess has tokens
  void result.tokens;
  switch (result.__typename) {
    case 'SignInSuccess':
      return `signed in as ${result.user.email} (session ${result.session.id})`;
    case 'MfaChallenge':
      return `second factor needed until ${result.expiresAt}: ${result.challengeToken.length > 0}`;
    case 'TooManyAttempts':
      return `retry in ${result.retryAfterSeconds} s`;
    default:
      return `${result.code}: ${result.message}`;
  }
}

async function signInFlow(url: string, email: string, password: string) {
  const client = new PlintoClient({ url, ...memoryStorage() });
  const signUp = await client.signUp({ email, password });
  if (signUp.__typename !== 'SignInSuccess') throw new Error(`sign-up: ${signUp.__typename}`);
  const wrong = await client.signIn({ email, password: `${password}-wrong` });
  const sessions: Array<{ sessionId: string; refreshToken: string }> = [];
  for (const _ of [1, 2]) {
    const signIn = await new PlintoClient({ url }).signIn({ email, password });
    if (signIn.__typename !== 'SignInSuccess' || signIn.tokens.refreshToken === null)
      throw new Error(describeSignIn(signIn));
    sessions.push({ sessionId: signIn.session.id, refreshToken: signIn.tokens.refreshToken });
  }
  const me = await client.me();
  let unauthenticated = '';
  try {
    await new PlintoClient({ url }).me();
  } catch (error) {
    if (error instanceof PlintoError) unauthenticated = error.code;
  }
  return { userId: me.id, email: me.email, wrongPassword: describeSignIn(wrong), unauthenticated, sessions };
}

const auditLog = { apollo: apolloDocument(AuditLogDocument), urql: urqlDocument(AuditLogDocument) };

/** 10 different operations at once (different variables: neither library may merge them). */
async function tenAtOnce(run: (first: number) => Promise<number>): Promise<number[]> {
  return Promise.all(Array.from({ length: 10 }, (_, i) => run(i + 1)));
}

async function withApollo(url: string, tokens: StoredTokens) {
  const { counts, counted } = countingFetch();
  const mode = memoryStorage();
  await mode.tokenStore.set(tokens);
  const client = new PlintoClient({ url, fetch: counted, ...mode });
  const apollo = new ApolloClient({
    link: ApolloLink.from([createPlintoAuthLink({ client }), new HttpLink({ uri: url, fetch: counted })]),
    cache: new InMemoryCache(),
  });
  const pages = await tenAtOnce(async (first) => {
    const { data } = await apollo.query({
      query: auditLog.apollo,
      variables: { first },
      fetchPolicy: 'no-cache',
    });
    if (!data) throw new Error('apollo: no data');
    return data.auditLog.edges.length;
  });
  return { ...counts, pages, rotated: (await client.tokens())?.refreshToken !== tokens.refreshToken };
}

async function withUrql(url: string, tokens: StoredTokens) {
  const { counts, counted } = countingFetch();
  const mode = memoryStorage();
  await mode.tokenStore.set(tokens);
  const client = new PlintoClient({ url, fetch: counted, ...mode });
  const urql = new Client({
    url,
    fetch: counted,
    exchanges: [plintoAuthExchange({ client }), fetchExchange],
    requestPolicy: 'network-only',
  });
  const pages = await tenAtOnce(async (first) => {
    const result = await urql.query(auditLog.urql, { first }).toPromise();
    if (result.error || !result.data) throw new Error(`urql: ${result.error?.message ?? 'no data'}`);
    return result.data.auditLog.edges.length;
  });
  return { ...counts, pages, rotated: (await client.tokens())?.refreshToken !== tokens.refreshToken };
}

const [command, url, ...rest] = process.argv.slice(2);
if (command === 'sign-in' && url && rest.length === 2) {
  console.log(JSON.stringify(await signInFlow(url, rest[0]!, rest[1]!)));
} else if (command === 'refresh' && url && rest.length === 1) {
  const given = JSON.parse(rest[0]!) as { apollo: StoredTokens; urql: StoredTokens };
  console.log(
    JSON.stringify({ apollo: await withApollo(url, given.apollo), urql: await withUrql(url, given.urql) }),
  );
} else {
  console.error('usage: consumer.js sign-in URL EMAIL PASSWORD | refresh URL TOKENS_JSON');
  process.exit(2);
}
