import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CompleteSignIn } from '../../src/auth/sign-in/complete-sign-in.js';
import type { SignInMethod } from '../../src/auth/sign-in/sign-in-method.js';
import { AuditEvent, Session, User } from '../../src/storage/entities/index.js';
import { BACKENDS } from '../helpers/database.js';
import { bearer, gql, ME, SIGN_IN, STRONG_PASSWORD, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import { SIGN_IN_WITH_MAGIC_LINK } from '../helpers/email-documents.js';
import { accessTokenAmr, codeAt, complete, enrolledUser, withinOneStep } from '../helpers/mfa.js';
import { useServer } from '../helpers/use-server.js';

const CHANGE_PASSWORD = `mutation($c: String!, $n: String!) {
  changePassword(currentPassword: $c, newPassword: $n) { __typename ... on UserError { code } }
}`;
const CLIENT = { ip: '192.0.2.7', userAgent: 'sign-in-methods test' };

/**
 * The recipe of docs/ARCHITECTURE.md, followed by a method that exists only in this test: it
 * proves nothing but the user id it is given (`amr: ['tst']`), and the one completion step does
 * the rest exactly as for the built-in methods.
 */
type TestRefusal = { kind: 'no-such-user'; audit: 'failure' };
const throwAwayMethod: SignInMethod<{ userId: string }, TestRefusal> = {
  name: 'throw-away',
  auditKind: 'sign_in',
  async prove(em, { userId }) {
    const user = await em.findOne(User, { id: userId });
    return user
      ? { kind: 'proven', userId: user.id, amr: ['tst'] }
      : { kind: 'no-such-user', audit: 'failure' };
  },
};

describe.each(BACKENDS)('sign-in methods (%s)', (backend) => {
  const ctx = useServer(backend);
  const completion = (): CompleteSignIn => ctx.server.app.services.signInCompletion;
  const fork = () => ctx.server.app.services.orm.em.fork();

  it('signs in through the completion step with a method registered in the test: a session without TOTP', async () => {
    const user = await signUpUser(ctx.server.url);
    const outcome = await completion().run(fork(), throwAwayMethod, { userId: user.userId }, CLIENT);
    expect(outcome.kind).toBe('signed-in');
    if (outcome.kind !== 'signed-in') return;
    expect(accessTokenAmr(outcome.signedIn.tokens.accessToken)).toEqual(['tst']);
    const me = await gql(ctx.server.url, ME, {}, bearer(outcome.signedIn.tokens.accessToken));
    expect(me.body.data?.me.id).toBe(user.userId);
    // The completion step wrote the method's audit event, attributed to the new session.
    const events = await fork().find(AuditEvent, { userId: user.userId, kind: 'sign_in' });
    expect(events.map((e) => [e.result, e.sessionId])).toEqual([['success', outcome.signedIn.session.id]]);
  });

  it('answers a TOTP user of that method with an MFA challenge, and the code then makes the session', async () => {
    await withinOneStep();
    const user = await enrolledUser(ctx.server.url);
    const outcome = await completion().run(fork(), throwAwayMethod, { userId: user.userId }, CLIENT);
    expect(outcome.kind).toBe('mfa-required');
    if (outcome.kind !== 'mfa-required') return;
    const sessions = await fork().count(Session, { user: user.userId });
    expect(sessions).toBe(1); // the sign-up's only: no session before the second factor
    const done = await complete(ctx.server.url, outcome.challenge.challengeToken, codeAt(user.secret));
    expect(done?.__typename).toBe('SignInSuccess');
    expect(accessTokenAmr(done.tokens.accessToken)).toEqual(['tst', 'otp', 'mfa']);
  });

  it('audits the method refusal through the completion step and makes nothing', async () => {
    const ghost = randomUUID();
    const outcome = await completion().run(fork(), throwAwayMethod, { userId: ghost }, CLIENT);
    expect(outcome).toEqual({ kind: 'no-such-user', audit: 'failure' });
    expect(await fork().count(Session, { user: ghost })).toBe(0);
    const refusals = await fork().count(AuditEvent, {
      kind: 'sign_in',
      result: 'failure',
      userAgent: CLIENT.userAgent,
    });
    expect(refusals).toBe(1);
  });

  describe('a user without a password', () => {
    const passwordless = async (): Promise<{ id: string; email: string }> => {
      const email = uniqueEmail('nopw');
      const id = randomUUID();
      const now = new Date();
      await fork().insert(User, { id, email, passwordHash: null, createdAt: now, updatedAt: now });
      return { id, email };
    };

    it('is stored, and a password sign-in answers InvalidCredentials like an unknown address', async () => {
      const user = await passwordless();
      expect((await fork().findOneOrFail(User, { id: user.id })).passwordHash).toBeNull();
      for (const password of [STRONG_PASSWORD, '']) {
        const response = await gql(ctx.server.url, SIGN_IN, { email: user.email, password });
        expect(response.body.data?.signIn.__typename).toBe('InvalidCredentials');
      }
      const unknown = await gql(ctx.server.url, SIGN_IN, { email: uniqueEmail('ghost'), password: 'x' });
      expect(unknown.body.data?.signIn).toEqual(
        (await gql(ctx.server.url, SIGN_IN, { email: user.email, password: 'x' })).body.data?.signIn,
      );
    });

    it('signs in with an emailed link and sets a password with changePassword on a fresh session', async () => {
      const user = await passwordless();
      const token = await ctx.server.app.services.oneTimeTokens.issue(fork(), user.id, 'magic-link');
      const linked = await gql(ctx.server.url, SIGN_IN_WITH_MAGIC_LINK, { token });
      const session = linked.body.data?.signInWithMagicLink;
      expect(session?.__typename).toBe('SignInSuccess');
      const auth = bearer(session.tokens.accessToken);
      const set = await gql(ctx.server.url, CHANGE_PASSWORD, { c: '', n: STRONG_PASSWORD }, auth);
      expect(set.body.data?.changePassword.__typename).toBe('PasswordChanged');
      const signIn = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: STRONG_PASSWORD });
      expect(signIn.body.data?.signIn.__typename).toBe('SignInSuccess');
    });

    it('refuses to set a password from a session older than the step-up window', async () => {
      const user = await passwordless();
      const token = await ctx.server.app.services.oneTimeTokens.issue(fork(), user.id, 'magic-link');
      const linked = await gql(ctx.server.url, SIGN_IN_WITH_MAGIC_LINK, { token });
      const session = linked.body.data?.signInWithMagicLink;
      const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
      await fork().nativeUpdate(
        Session,
        { id: session.session.id },
        { createdAt: tenMinutesAgo, authenticatedAt: tenMinutesAgo },
      );
      const auth = bearer(session.tokens.accessToken);
      const set = await gql(ctx.server.url, CHANGE_PASSWORD, { c: '', n: STRONG_PASSWORD }, auth);
      // Step-up (src/auth/step-up.ts): the session's last authentication is older than the limit.
      expect(set.body.data?.changePassword).toEqual({
        __typename: 'StepUpRequired',
        code: 'STEP_UP_REQUIRED',
      });
      expect((await fork().findOneOrFail(User, { id: user.id })).passwordHash).toBeNull();
    });
  });
});
