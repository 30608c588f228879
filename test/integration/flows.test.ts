import { describe, expect, it } from 'vitest';
import { User } from '../../src/storage/entities/index.js';
import { BACKENDS } from '../helpers/database.js';
import {
  bearer,
  gql,
  ME,
  REFRESH,
  SIGN_IN,
  SIGN_UP,
  signUpUser,
  STRONG_PASSWORD,
  uniqueEmail,
} from '../helpers/graphql.js';
import { useServer } from '../helpers/use-server.js';

describe.each(BACKENDS)('account flows over HTTP (%s)', (backend) => {
  const ctx = useServer(backend);

  it('signs up, signs in, reads me, refreshes and signs out', async () => {
    const email = uniqueEmail('flow');
    const signUp = await gql(ctx.server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    expect(signUp.body.data?.signUp.__typename).toBe('SignInSuccess');
    expect(signUp.body.data?.signUp.user.email).toBe(email);

    const signIn = await gql(ctx.server.url, SIGN_IN, {
      email: `  ${email.toUpperCase()} `,
      password: STRONG_PASSWORD,
    });
    const success = signIn.body.data?.signIn;
    expect(success.__typename).toBe('SignInSuccess');
    expect(success.tokens.tokenType).toBe('Bearer');
    expect(success.session.current).toBe(true);

    const me = await gql(ctx.server.url, ME, {}, bearer(success.tokens.accessToken));
    expect(me.body.data?.me).toMatchObject({ email, emailVerified: false, mfaEnabled: false });

    const sessions = await gql(
      ctx.server.url,
      '{ sessions { id current } }',
      {},
      bearer(success.tokens.accessToken),
    );
    expect(sessions.body.data?.sessions).toHaveLength(2);
    expect(sessions.body.data?.sessions.filter((s: { current: boolean }) => s.current)).toEqual([
      { id: success.session.id, current: true },
    ]);

    const refreshed = await gql(ctx.server.url, REFRESH, { refreshToken: success.tokens.refreshToken });
    const pair = refreshed.body.data?.refreshSession;
    expect(pair.__typename).toBe('SignInSuccess');
    expect(pair.tokens.refreshToken).not.toBe(success.tokens.refreshToken);
    expect(pair.session.id).toBe(success.session.id);

    const signOut = await gql(ctx.server.url, 'mutation { signOut }', {}, bearer(pair.tokens.accessToken));
    expect(signOut.body.data).toEqual({ signOut: true });
    const after = await gql(ctx.server.url, ME, {}, bearer(pair.tokens.accessToken));
    expect(after.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const refreshAfter = await gql(ctx.server.url, REFRESH, { refreshToken: pair.tokens.refreshToken });
    expect(refreshAfter.body.data?.refreshSession.__typename).toBe('InvalidToken');
  });

  it('answers an unknown email and a wrong password identically', async () => {
    const user = await signUpUser(ctx.server.url);
    const unknown = await gql(ctx.server.url, SIGN_IN, {
      email: uniqueEmail('nobody'),
      password: 'wrong password 1',
    });
    const wrong = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: 'wrong password 1' });
    expect(unknown.status).toBe(200);
    expect(unknown.text).toBe(wrong.text);
    expect(wrong.body.data?.signIn).toEqual({
      __typename: 'InvalidCredentials',
      code: 'INVALID_CREDENTIALS',
      message: 'The email or password is incorrect.',
    });
  });

  it('keeps exactly one user when 20 concurrent sign-ups use one address in different cases', async () => {
    const email = uniqueEmail('race');
    const variants = Array.from({ length: 20 }, (_, i) =>
      i % 3 === 0 ? email.toUpperCase() : i % 3 === 1 ? ` ${email} ` : email,
    );
    const responses = await Promise.all(
      variants.map((variant) => gql(ctx.server.url, SIGN_UP, { email: variant, password: STRONG_PASSWORD })),
    );
    const kinds = responses.map((r) => r.body.data?.signUp.__typename);
    expect(kinds.filter((k) => k === 'SignInSuccess')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'EmailTaken')).toHaveLength(19);
    const count = await ctx.server.app.services.orm.em.fork().count(User, { email });
    expect(count).toBe(1);
  });

  it('accepts a 73-byte password under bcrypt by pre-hashing it, never truncated; 72 bytes stay plain bcrypt', async () => {
    const em = () => ctx.server.app.services.orm.em.fork();
    const storedHash = async (email: string) => (await em().findOneOrFail(User, { email })).passwordHash!;
    // 73 bytes in 49 characters: the limit is counted in UTF-8 bytes.
    const multiByte = 'é'.repeat(24) + 'q'.repeat(25);
    expect([multiByte.length, Buffer.byteLength(multiByte, 'utf8')]).toEqual([49, 73]);
    const longEmail = uniqueEmail();
    const long = await gql(ctx.server.url, SIGN_UP, { email: longEmail, password: multiByte });
    expect(long.body.data?.signUp.__typename).toBe('SignInSuccess');
    expect(await storedHash(longEmail)).toMatch(/^bcrypt-hmac:/);
    // Truncation would let the first 72 bytes sign in: they do not.
    const truncated = await gql(ctx.server.url, SIGN_IN, {
      email: longEmail,
      password: multiByte.slice(0, 48),
    });
    expect(truncated.body.data?.signIn.__typename).toBe('InvalidCredentials');
    const whole = await gql(ctx.server.url, SIGN_IN, { email: longEmail, password: multiByte });
    expect(whole.body.data?.signIn.__typename).toBe('SignInSuccess');
    // 72 bytes with multi-byte characters: 24 × "é" (2 bytes) + 24 ASCII = 72 bytes, plain bcrypt.
    const exactEmail = uniqueEmail();
    const exact = await gql(ctx.server.url, SIGN_UP, {
      email: exactEmail,
      password: 'é'.repeat(24) + 'q'.repeat(24),
    });
    expect(exact.body.data?.signUp.__typename).toBe('SignInSuccess');
    expect(await storedHash(exactEmail)).toMatch(/^\$2b\$/);
  });

  it('rejects short and common passwords with reasons', async () => {
    const short = await gql(ctx.server.url, SIGN_UP, { email: uniqueEmail(), password: 'Ab1!' });
    expect(short.body.data?.signUp).toMatchObject({
      __typename: 'PasswordRejected',
      code: 'PASSWORD_REJECTED',
    });
    expect(short.body.data?.signUp.reasons).toEqual(['Password must have at least 8 characters.']);
    const common = await gql(ctx.server.url, SIGN_UP, { email: uniqueEmail(), password: 'password123' });
    expect(common.body.data?.signUp.reasons).toContain('Password is too common.');
  });

  it('gives BAD_USER_INPUT or a UserError for malformed input, never a 500', async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      [SIGN_UP, { email: 'not-an-email', password: STRONG_PASSWORD }],
      [SIGN_UP, { email: 'a\u0000b@example.com', password: STRONG_PASSWORD }],
      [SIGN_UP, { email: `${'x'.repeat(300)}@example.com`, password: STRONG_PASSWORD }],
      [SIGN_UP, { email: uniqueEmail(), password: 'p'.repeat(5000) }],
      [SIGN_IN, { email: uniqueEmail(), password: 'p'.repeat(5000) }],
      [SIGN_IN, { email: 42, password: STRONG_PASSWORD }],
      [SIGN_IN, { email: uniqueEmail() }],
      [SIGN_IN, { email: '\u202e@example.com', password: '\ud800' }],
      [REFRESH, { refreshToken: 'x'.repeat(10_000) }],
      ['mutation { revokeSession(id: "not-a-uuid") }', {}],
      ['{ me { email', {}],
      ['{ nope }', {}],
    ];
    for (const [query, variables] of cases) {
      const response = await gql(ctx.server.url, query, variables);
      expect(response.status, response.text).toBeLessThan(500);
      const errorCode = response.body.errors?.[0]?.extensions?.code;
      const data = response.body.data ? Object.values(response.body.data)[0] : null;
      const userError = data && typeof data === 'object' && 'code' in data;
      expect(
        userError ||
          ['BAD_USER_INPUT', 'UNAUTHENTICATED', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED'].includes(
            String(errorCode),
          ),
        response.text,
      ).toBe(true);
      expect(response.text).not.toMatch(/stack|at .*\.ts:|select |insert |SQLITE|postgres/i);
    }
  });

  it('answers malformed JSON and oversized bodies with a stable code, no stack', async () => {
    const malformed = await fetch(`${ctx.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "{ me { id } }"',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({
      errors: [{ message: 'The request could not be processed.', extensions: { code: 'BAD_REQUEST' } }],
    });
    const huge = await fetch(`${ctx.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(1_000_000) } }),
    });
    expect(huge.status).toBe(413);
    expect(
      ((await huge.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code,
    ).toBe('PAYLOAD_TOO_LARGE');
  });

  it('lists only live sessions and revokes only the caller’s own', async () => {
    const alice = await signUpUser(ctx.server.url);
    const bob = await signUpUser(ctx.server.url);
    const foreign = await gql(
      ctx.server.url,
      'mutation($id: ID!) { revokeSession(id: $id) }',
      { id: bob.sessionId },
      bearer(alice.accessToken),
    );
    expect(foreign.body.data).toEqual({ revokeSession: false });
    const bobMe = await gql(ctx.server.url, ME, {}, bearer(bob.accessToken));
    expect(bobMe.body.data?.me.email).toBe(bob.email);

    const second = await gql(ctx.server.url, SIGN_IN, { email: alice.email, password: alice.password });
    const everywhere = await gql(
      ctx.server.url,
      'mutation { signOutEverywhere }',
      {},
      bearer(second.body.data?.signIn.tokens.accessToken),
    );
    expect(everywhere.body.data).toEqual({ signOutEverywhere: 2 });
    for (const token of [alice.accessToken, second.body.data?.signIn.tokens.accessToken]) {
      const me = await gql(ctx.server.url, ME, {}, bearer(token));
      expect(me.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});
