import { describe, expect, it } from 'vitest';
import { AuditEvent, Session } from '../../src/storage/entities/index.js';
import { BACKENDS } from '../helpers/database.js';
import { bearer, gql, ME, REFRESH, signUpUser } from '../helpers/graphql.js';
import { gqlFrom } from '../helpers/local-address.js';
import { useServer } from '../helpers/use-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(BACKENDS)('refresh rotation and revocation (%s)', (backend) => {
  // A 1 s liveness cache lets a test reach the database fallback of the liveness check without an outage.
  const ctx = useServer(backend, { REFRESH_GRACE_SECONDS: '1', SESSION_LIVENESS_CACHE_SECONDS: '1' });

  async function refresh(refreshToken: string) {
    return (await gql(ctx.server.url, REFRESH, { refreshToken })).body.data?.refreshSession;
  }

  it('rotates the refresh token on every use', async () => {
    const user = await signUpUser(ctx.server.url);
    const first = await refresh(user.refreshToken);
    const second = await refresh(first.tokens.refreshToken);
    expect(new Set([user.refreshToken, first.tokens.refreshToken, second.tokens.refreshToken]).size).toBe(3);
    expect(second.session.id).toBe(user.sessionId);
    const me = await gql(ctx.server.url, ME, {}, bearer(second.tokens.accessToken));
    expect(me.body.data?.me.id).toBe(user.userId);
  });

  it('revokes the whole session when a rotated token is presented after the grace window', async () => {
    const user = await signUpUser(ctx.server.url);
    const rotated = await refresh(user.refreshToken);
    expect(rotated.__typename).toBe('SignInSuccess');
    await sleep(1200);
    const replay = await refresh(user.refreshToken);
    expect(replay).toMatchObject({ __typename: 'InvalidToken', code: 'INVALID_TOKEN' });
    // The legitimate holder's newer tokens die with the session: the thief and the victim are both out.
    const newer = await refresh(rotated.tokens.refreshToken);
    expect(newer.__typename).toBe('InvalidToken');
    const me = await gql(ctx.server.url, ME, {}, bearer(rotated.tokens.accessToken));
    expect(me.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const row = await ctx.server.app.services.orm.em.fork().findOneOrFail(Session, user.sessionId);
    expect(row.revokedReason).toBe('refresh-reuse');
  });

  it('revokes the session when an old token is replayed during a later rotation’s grace window', async () => {
    // T0 → T1, then past T0's window T1 → T2: T2's grace window is open, but it is for T1, not T0.
    const user = await signUpUser(ctx.server.url);
    const t1 = await refresh(user.refreshToken);
    expect(t1.__typename).toBe('SignInSuccess');
    await sleep(1200);
    const t2 = await refresh(t1.tokens.refreshToken);
    expect(t2.__typename).toBe('SignInSuccess');
    const replay = await refresh(user.refreshToken);
    expect(replay).toMatchObject({ __typename: 'InvalidToken', code: 'INVALID_TOKEN' });
    const row = await ctx.server.app.services.orm.em.fork().findOneOrFail(Session, user.sessionId);
    expect(row.revokedReason).toBe('refresh-reuse');
    const me = await gql(ctx.server.url, ME, {}, bearer(t2.tokens.accessToken));
    expect(me.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await refresh(t2.tokens.refreshToken)).__typename).toBe('InvalidToken');
  });

  it('refuses an unknown or empty refresh token', async () => {
    expect((await refresh('not-a-real-token')).__typename).toBe('InvalidToken');
    expect((await refresh('')).__typename).toBe('InvalidToken');
  });

  it('refuses the access token right after signOut and revokeSession', async () => {
    const user = await signUpUser(ctx.server.url);
    expect((await gql(ctx.server.url, ME, {}, bearer(user.accessToken))).body.data?.me.id).toBe(user.userId);
    await gql(ctx.server.url, 'mutation { signOut }', {}, bearer(user.accessToken));
    expect(
      (await gql(ctx.server.url, ME, {}, bearer(user.accessToken))).body.errors?.[0]?.extensions?.code,
    ).toBe('UNAUTHENTICATED');

    const other = await signUpUser(ctx.server.url);
    const second = await gql(
      ctx.server.url,
      'mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { ... on SignInSuccess { tokens { accessToken } } } }',
      { e: other.email, p: other.password },
    );
    const secondToken = second.body.data?.signIn.tokens.accessToken as string;
    expect((await gql(ctx.server.url, ME, {}, bearer(other.accessToken))).body.data?.me.id).toBe(
      other.userId,
    );
    const revoked = await gql(
      ctx.server.url,
      'mutation($id: ID!) { revokeSession(id: $id) }',
      { id: other.sessionId },
      bearer(secondToken),
    );
    expect(revoked.body.data).toEqual({ revokeSession: true });
    expect(
      (await gql(ctx.server.url, ME, {}, bearer(other.accessToken))).body.errors?.[0]?.extensions?.code,
    ).toBe('UNAUTHENTICATED');
    expect((await gql(ctx.server.url, ME, {}, bearer(secondToken))).body.data?.me.id).toBe(other.userId);
    expect((await refresh(other.refreshToken)).__typename).toBe('InvalidToken');

    // Without the cache's word (its entry has expired), the database decides: a session revoked
    // there — by another replica, a password reset, an operator — is refused, not assumed live.
    const third = await signUpUser(ctx.server.url);
    expect((await gql(ctx.server.url, ME, {}, bearer(third.accessToken))).body.data?.me.id).toBe(
      third.userId,
    );
    await sleep(1200);
    await ctx.server.app.services.orm.em
      .fork()
      .nativeUpdate(Session, { id: third.sessionId }, { revokedAt: new Date(), revokedReason: 'revoked' });
    expect(
      (await gql(ctx.server.url, ME, {}, bearer(third.accessToken))).body.errors?.[0]?.extensions?.code,
    ).toBe('UNAUTHENTICATED');
  });

  it('delivers the refresh token as an HttpOnly cookie when the browser asks, and refreshes from it', async () => {
    const user = await signUpUser(ctx.server.url);
    const signIn = await fetch(`${ctx.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-refresh-token-transport': 'cookie' },
      body: JSON.stringify({
        query:
          'mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { ... on SignInSuccess { tokens { refreshToken } } } }',
        variables: { e: user.email, p: user.password },
      }),
    });
    const body = (await signIn.json()) as any;
    expect(body.data.signIn.tokens.refreshToken).toBeNull();
    const setCookie = refreshSetCookie(signIn) ?? '';
    expect(setCookie).toMatch(/^plinto_refresh=[^;]+;/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/Secure/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/graphql/);
    const cookie = setCookie.split(';')[0]!;
    const refreshed = await gql(
      ctx.server.url,
      REFRESH,
      {},
      { cookie, 'x-refresh-token-transport': 'cookie' },
    );
    expect(refreshed.body.data?.refreshSession.__typename).toBe('SignInSuccess');
    expect(refreshed.body.data?.refreshSession.tokens.refreshToken).toBeNull();
    expect(refreshSetCookie(refreshed)).toMatch(/^plinto_refresh=/);
    expect(refreshSetCookie(refreshed)?.split(';')[0]).not.toBe(cookie);
  });
});

/**
 * The grace window's own tests: what happens *inside* it. The window is 30 s here, so that a
 * loaded machine (or mutation testing's instrumented code) cannot push the concurrent or repeated
 * requests out of it; the tests above use 1 s so that they can wait past it.
 */
describe.each(BACKENDS)('refresh grace window (%s)', (backend) => {
  const ctx = useServer(backend, { REFRESH_GRACE_SECONDS: '30' });

  async function refresh(refreshToken: string) {
    return (await gql(ctx.server.url, REFRESH, { refreshToken })).body.data?.refreshSession;
  }

  it('gives concurrent refreshes with one token the same new pair (two tabs)', async () => {
    const user = await signUpUser(ctx.server.url);
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(user.refreshToken)));
    expect(results.map((r) => r.__typename)).toEqual(Array(5).fill('SignInSuccess'));
    expect(new Set(results.map((r) => r.tokens.refreshToken)).size).toBe(1);
    expect(new Set(results.map((r) => r.tokens.accessToken)).size).toBe(1);
    // The pair they share is live, and the session was rotated exactly once.
    const next = await refresh(results[0].tokens.refreshToken);
    expect(next.__typename).toBe('SignInSuccess');
    const row = await ctx.server.app.services.orm.em.fork().findOneOrFail(Session, user.sessionId);
    expect(row.rotationCount).toBe(2);
    expect(row.revokedAt).toBeNull();
  });

  it('serves the grace pair again only to the same client (user agent, IPv4 /24) and audits each grace hit', async () => {
    const user = await signUpUser(ctx.server.url);
    const phone = { 'user-agent': 'PlintoPhone/1.0' };
    const first = await gqlFrom(
      ctx.server.url,
      '127.0.0.1',
      REFRESH,
      { refreshToken: user.refreshToken },
      phone,
    );
    // The retry comes from another address in the same /24 (carrier NAT), same user agent.
    const retry = await gqlFrom(
      ctx.server.url,
      '127.0.0.9',
      REFRESH,
      { refreshToken: user.refreshToken },
      phone,
    );
    expect(retry.body.data?.refreshSession.__typename).toBe('SignInSuccess');
    expect(retry.body.data?.refreshSession.tokens.refreshToken).toBe(
      first.body.data?.refreshSession.tokens.refreshToken,
    );
    const em = ctx.server.app.services.orm.em.fork();
    const graceHits = await em.find(AuditEvent, { userId: user.userId, kind: 'refresh_grace' });
    expect(graceHits).toHaveLength(1);
    expect(graceHits[0]).toMatchObject({ result: 'success', sessionId: user.sessionId, ip: '127.0.0.9' });
    expect((await em.findOneOrFail(Session, user.sessionId)).revokedAt).toBeNull();
  });

  it('treats the just-rotated token from another client inside the grace window as reuse and revokes the session', async () => {
    const phone = { 'user-agent': 'PlintoPhone/1.0' };
    for (const [address, agent] of [
      ['127.0.1.1', 'PlintoPhone/1.0'], // another network, same user agent
      ['127.0.0.1', 'curl/8.0'], // same address, another user agent
    ] as const) {
      const user = await signUpUser(ctx.server.url);
      const owner = await gqlFrom(
        ctx.server.url,
        '127.0.0.1',
        REFRESH,
        { refreshToken: user.refreshToken },
        phone,
      );
      expect(owner.body.data?.refreshSession.__typename).toBe('SignInSuccess');
      // Well inside the grace window: the thief is in time, and still gets nothing.
      const thief = await gqlFrom(
        ctx.server.url,
        address,
        REFRESH,
        { refreshToken: user.refreshToken },
        {
          'user-agent': agent,
        },
      );
      expect(thief.body.data?.refreshSession).toMatchObject({ __typename: 'InvalidToken' });
      expect(thief.text).not.toContain(owner.body.data?.refreshSession.tokens.refreshToken);
      // The session is gone: the owner's new pair dies with it.
      expect((await refresh(owner.body.data?.refreshSession.tokens.refreshToken)).__typename).toBe(
        'InvalidToken',
      );
      const row = await ctx.server.app.services.orm.em.fork().findOneOrFail(Session, user.sessionId);
      expect(row.revokedReason).toBe('refresh-reuse');
    }
  });
});

/** The refresh cookie's Set-Cookie line (a password sign-in also sets the device cookie). */
function refreshSetCookie(response: { headers: Headers }): string | null {
  return response.headers.getSetCookie().find((line) => /^(__Secure-)?plinto_refresh=/.test(line)) ?? null;
}

describe('the refresh cookie behind https (APP_URL https://)', () => {
  const ctx = useServer('sqlite', { APP_URL: 'https://auth.plinto.test' });

  async function cookieSignIn(): Promise<{ cookie: string; setCookie: string }> {
    const user = await signUpUser(ctx.server.url);
    const signIn = await fetch(`${ctx.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-refresh-token-transport': 'cookie' },
      body: JSON.stringify({
        query:
          'mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { ... on SignInSuccess { tokens { refreshToken } } } }',
        variables: { e: user.email, p: user.password },
      }),
    });
    const setCookie = refreshSetCookie(signIn) ?? '';
    return { cookie: setCookie.split(';')[0]!, setCookie };
  }

  it('names the cookie __Secure-plinto_refresh, HttpOnly, Secure, SameSite=Strict, scoped to /graphql', async () => {
    const { setCookie } = await cookieSignIn();
    expect(setCookie).toMatch(/^__Secure-plinto_refresh=[^;]+;/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/Secure/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/graphql/);
  });

  it('answers a refresh from the cookie only through Set-Cookie, never in the body, whatever the headers say', async () => {
    const { cookie } = await cookieSignIn();
    // No X-Refresh-Token-Transport header: a script trying to read the HttpOnly cookie's token out.
    const refreshed = await gql(ctx.server.url, REFRESH, {}, { cookie });
    expect(refreshed.body.data?.refreshSession.__typename).toBe('SignInSuccess');
    expect(refreshed.body.data?.refreshSession.tokens.refreshToken).toBeNull();
    const next = refreshSetCookie(refreshed) ?? '';
    expect(next).toMatch(/^__Secure-plinto_refresh=[^;]+;.*HttpOnly/);
    const nextCookie = next.split(';')[0]!;
    expect(nextCookie).not.toBe(cookie);
    // The raw body carries no token at all, and the header asking for the body changes nothing.
    expect(JSON.stringify(refreshed.body)).not.toContain(nextCookie.split('=')[1]);
    const again = await gql(
      ctx.server.url,
      REFRESH,
      {},
      { cookie: nextCookie, 'x-refresh-token-transport': 'body' },
    );
    expect(again.body.data?.refreshSession.tokens.refreshToken).toBeNull();
    expect(refreshSetCookie(again)).toMatch(/^__Secure-plinto_refresh=/);
  });

  it('still accepts the old cookie name for one release, and moves the browser to the new one', async () => {
    const { cookie } = await cookieSignIn();
    const legacy = `plinto_refresh=${cookie.split('=')[1]}`;
    const refreshed = await gql(ctx.server.url, REFRESH, {}, { cookie: legacy });
    expect(refreshed.body.data?.refreshSession.__typename).toBe('SignInSuccess');
    expect(refreshed.body.data?.refreshSession.tokens.refreshToken).toBeNull();
    const setCookies = refreshed.headers.getSetCookie();
    expect(setCookies.some((c) => /^__Secure-plinto_refresh=[^;]+;/.test(c))).toBe(true);
    // The old cookie is cleared (empty value, expired).
    expect(setCookies.some((c) => /^plinto_refresh=;.*Expires=Thu, 01 Jan 1970/.test(c))).toBe(true);
  });
});
