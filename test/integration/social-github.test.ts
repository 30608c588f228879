import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Identity, User } from '../../src/storage/entities/index.js';
import { gql, SIGN_IN_SUCCESS_FIELDS, uniqueEmail } from '../helpers/graphql.js';
import { useServer } from '../helpers/use-server.js';

const APP = 'https://app.example';
const BEGIN = `mutation Begin($provider: String!, $redirectTo: String!) {
  beginSocialSignIn(provider: $provider, redirectTo: $redirectTo) { authorizationUrl binding }
}`;
const COMPLETE = `mutation Complete($code: String!, $binding: String) {
  completeSocialSignIn(code: $code, binding: $binding) { ${SIGN_IN_SUCCESS_FIELDS} }
}`;

interface GitHubUser {
  id: number;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
}

/**
 * A stand-in for GitHub's OAuth endpoints and REST API (the real service is out of reach of tests):
 * authorize (approves at once), access_token (checks the client, the code and the PKCE verifier),
 * /user and /user/emails for the access token it issued.
 */
async function startGitHubStandIn() {
  const codes = new Map<string, { user: GitHubUser; challenge: string; redirectUri: string }>();
  const tokens = new Map<string, GitHubUser>();
  const requests: string[] = [];
  let current: GitHubUser = { id: 1, emails: [] };
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://stand-in');
    requests.push(`${req.method} ${url.pathname}`);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname === '/login/oauth/authorize') {
      const code = `code-${codes.size + 1}`;
      codes.set(code, {
        user: current,
        challenge: url.searchParams.get('code_challenge')!,
        redirectUri: url.searchParams.get('redirect_uri')!,
      });
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state')!);
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(raw);
        const grant = codes.get(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (
          !grant ||
          form.get('client_id') !== 'gh-client' ||
          form.get('client_secret') !== 'gh-secret' ||
          grant.challenge !== challenge ||
          grant.redirectUri !== form.get('redirect_uri')
        ) {
          json(200, { error: 'bad_verification_code' });
          return;
        }
        codes.delete(form.get('code')!);
        const token = `gho_${tokens.size + 1}`;
        tokens.set(token, grant.user);
        json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      });
      return;
    }
    const user = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!user) return json(401, { message: 'Bad credentials' });
    if (url.pathname === '/user') return json(200, { id: user.id, login: `user${user.id}`, email: null });
    if (url.pathname === '/user/emails') return json(200, user.emails);
    json(404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    requests,
    setUser: (user: GitHubUser) => (current = user),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('social sign-in with the GitHub preset (OAuth 2.0 and its user/emails API), against a stand-in', () => {
  let github: Awaited<ReturnType<typeof startGitHubStandIn>>;
  const overrides: Record<string, string> = {};
  beforeAll(async () => {
    github = await startGitHubStandIn();
    Object.assign(overrides, {
      SIGNUP_MODE: 'immediate',
      CORS_ORIGINS: APP,
      OAUTH_PROVIDERS: JSON.stringify([
        {
          id: 'github',
          preset: 'github',
          clientId: 'gh-client',
          clientSecret: 'gh-secret',
          trustEmail: true,
          authorizationEndpoint: `${github.base}/login/oauth/authorize`,
          tokenEndpoint: `${github.base}/login/oauth/access_token`,
          apiBaseUrl: github.base,
        },
        // Nothing listens on the discard port: an OpenID provider that is down.
        { id: 'down', name: 'Down', issuer: 'http://127.0.0.1:9', clientId: 'x', clientSecret: 'y' },
      ]),
    });
  });
  afterAll(async () => github?.close());
  const ctx = useServer('sqlite', overrides);
  const fork = () => ctx.server.app.services.orm.em.fork();

  const signIn = async () => {
    const begin = await gql(ctx.server.url, BEGIN, { provider: 'github', redirectTo: `${APP}/done` });
    const authorizationUrl = new URL(begin.body.data?.beginSocialSignIn.authorizationUrl);
    expect(authorizationUrl.origin).toBe(github.base);
    expect(authorizationUrl.searchParams.get('scope')).toBe('read:user user:email');
    expect(authorizationUrl.searchParams.has('nonce')).toBe(false);
    const atGitHub = await fetch(authorizationUrl, { redirect: 'manual' });
    // The stand-in sends the browser to APP_URL's callback; the test server listens elsewhere.
    const callback = new URL(atGitHub.headers.get('location')!);
    expect(callback.pathname).toBe('/oauth/callback/github');
    const answer = await fetch(`${ctx.server.url}${callback.pathname}${callback.search}`, {
      redirect: 'manual',
    });
    const location = new URL(answer.headers.get('location')!);
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (!fragment.get('code')) return { fragment, result: null };
    const done = await gql(ctx.server.url, COMPLETE, {
      code: fragment.get('code'),
      binding: begin.body.data?.beginSocialSignIn.binding,
    });
    return { fragment, result: done.body.data?.completeSocialSignIn };
  };

  it('signs in with the verified primary email, the numeric GitHub id as the subject', async () => {
    const email = uniqueEmail('octocat');
    github.setUser({
      id: 4242,
      emails: [
        { email: uniqueEmail('secondary'), primary: false, verified: true },
        { email, primary: true, verified: true },
      ],
    });
    const { result } = await signIn();
    expect(result.__typename).toBe('SignInSuccess');
    expect(result.user).toMatchObject({ email, emailVerified: true });
    const identity = await fork().findOneOrFail(Identity, { provider: 'github', subject: '4242' });
    expect(identity.email).toBe(email);
    expect(github.requests).toEqual(
      expect.arrayContaining(['POST /login/oauth/access_token', 'GET /user', 'GET /user/emails']),
    );
  });

  it('never takes an unverified primary (nor a verified secondary) as the account email', async () => {
    const unverifiedPrimary = uniqueEmail('unverified');
    const secondary = uniqueEmail('verified-secondary');
    github.setUser({
      id: 4343,
      emails: [
        { email: unverifiedPrimary, primary: true, verified: false },
        { email: secondary, primary: false, verified: true },
      ],
    });
    const { result } = await signIn();
    expect(result).toMatchObject({ __typename: 'InvalidToken', code: 'INVALID_TOKEN' });
    expect(await fork().count(User, { email: { $in: [unverifiedPrimary, secondary] } })).toBe(0);
    expect(await fork().count(Identity, { subject: '4343' })).toBe(0);
  });

  it('answers SERVICE_UNAVAILABLE when a provider cannot be reached, and counts it per provider', async () => {
    const begin = await gql(ctx.server.url, BEGIN, { provider: 'down', redirectTo: `${APP}/done` });
    expect(begin.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(begin.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1:9/);
    const { values } = await ctx.server.app.services.metrics.socialFailures.get();
    expect(values.find((v) => v.labels.provider === 'down')).toMatchObject({
      labels: { provider: 'down', reason: 'provider_unavailable' },
      value: 1,
    });
  });

  it('answers a callback without a known state with 400 and a stable code', async () => {
    for (const path of ['/oauth/callback/github?code=x&state=unknown', '/oauth/callback/nope?state=x']) {
      const answer = await fetch(`${ctx.server.url}${path}`, { redirect: 'manual' });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toEqual({ error: 'invalid_state' });
    }
  });
});
