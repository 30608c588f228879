import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { MeDocument, PlintoClient, PlintoError } from '../../client/src/index.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { startServer } from '../helpers/server.js';
import type { TestServer } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';

async function refreshCount(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('plinto_auth_events_total{event="refresh",result="success"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('the typed client against a real server (PostgreSQL + Redis)', () => {
  const ctx = useServer('postgresql');

  const newClient = (options: Partial<ConstructorParameters<typeof PlintoClient>[0]> = {}) =>
    new PlintoClient({ url: `${ctx.server.url}/graphql`, ...options });

  it('signs up, signs in, reads me and sessions, refreshes and signs out', async () => {
    const client = newClient();
    const email = uniqueEmail('client');
    const signUp = await client.signUp({ email, password: STRONG_PASSWORD });
    expect(signUp.__typename).toBe('SignInSuccess');

    const signIn = await client.signIn({ email, password: STRONG_PASSWORD });
    if (signIn.__typename !== 'SignInSuccess') throw new Error(`unexpected ${signIn.__typename}`);
    expect(signIn.user.email).toBe(email);

    expect((await client.me()).email).toBe(email);
    const sessions = await client.sessions();
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current).map((s) => s.id)).toEqual([signIn.session.id]);

    const before = await client.tokens();
    expect(await client.refresh()).toBe(true);
    const after = await client.tokens();
    expect(after?.refreshToken).not.toBe(before?.refreshToken);
    expect((await client.me()).id).toBe(signIn.user.id);

    expect(await client.signOut()).toBe(true);
    expect(await client.tokens()).toBeNull();
    const stale = newClient({ tokenStore: { get: () => after, set: () => undefined } });
    await expect(stale.me()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('exposes wrong credentials as a typed union member, not an exception', async () => {
    const result = await newClient().signIn({ email: uniqueEmail('nobody'), password: 'wrong password 77' });
    expect(result).toEqual({
      __typename: 'InvalidCredentials',
      code: 'INVALID_CREDENTIALS',
      message: 'The email or password is incorrect.',
    });
  });

  it('refreshes exactly once when 10 concurrent requests meet an expired access token', async () => {
    const refreshes: boolean[] = [];
    const client = newClient({ onRefresh: (ok) => refreshes.push(ok) });
    const signUp = await client.signUp({ email: uniqueEmail('expired'), password: STRONG_PASSWORD });
    if (signUp.__typename !== 'SignInSuccess') throw new Error('sign-up failed');
    // The same session's token, signed by the server's key but already expired.
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
    const stored = await client.tokens();
    await client.keep({
      ...signUp,
      tokens: { ...signUp.tokens, accessToken: expired, refreshToken: stored!.refreshToken },
    });

    const serverRefreshesBefore = await refreshCount(ctx.server);
    const results = await Promise.all(Array.from({ length: 10 }, () => client.request(MeDocument)));
    expect(results.map((r) => r.me.id)).toEqual(Array(10).fill(signUp.user.id));
    expect(refreshes).toEqual([true]);
    expect((await refreshCount(ctx.server)) - serverRefreshesBefore).toBe(1);
  });

  it('surfaces RATE_LIMITED with its retryAfter', async () => {
    const limited = await startServer(ctx.database, {
      RATE_LIMITS_ENABLED: 'true',
      RATE_LIMITS: 'signIn=1/60',
    });
    try {
      const client = new PlintoClient({ url: `${limited.url}/graphql` });
      await client.signIn({ email: uniqueEmail('rl'), password: 'wrong password 77' });
      const error = await client
        .signIn({ email: uniqueEmail('rl'), password: 'wrong password 77' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlintoError);
      expect(error).toMatchObject({ code: 'RATE_LIMITED' });
      expect((error as PlintoError).retryAfter).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
