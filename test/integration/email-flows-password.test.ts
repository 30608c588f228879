import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/database.js';
import {
  CHANGE_PASSWORD,
  emailFlowHelpers,
  REQUEST_PASSWORD_RESET,
  RESET_PASSWORD,
} from '../helpers/email-documents.js';
import { bearer, gql, ME, REFRESH, STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { drainOutbox } from '../helpers/mail-outbox.js';
import { useMailServer } from '../helpers/use-server.js';

const NEW_PASSWORD = 'a brand new passphrase 77';

describe.each(BACKENDS)('password flows with a real SMTP server (%s)', (backend) => {
  const ctx = useMailServer(backend);

  const { signIn, verifiedUser, mailedToken } = emailFlowHelpers(
    () => ctx.server,
    () => ctx.smtp,
  );

  it('resets a password: kills every refresh and access token, does not sign in, works once', async () => {
    const user = await verifiedUser();
    const second = await signIn(user.email, STRONG_PASSWORD);
    const third = await signIn(user.email, STRONG_PASSWORD);
    const pairs = [user.tokens, second.tokens, third.tokens] as Array<{
      accessToken: string;
      refreshToken: string;
    }>;
    for (const pair of pairs) {
      expect((await gql(ctx.server.url, ME, {}, bearer(pair.accessToken))).body.data?.me.email).toBe(
        user.email,
      );
    }

    const token = await mailedToken(
      REQUEST_PASSWORD_RESET,
      user.email,
      /Reset your password/,
      '/reset-password',
    );
    const weak = await gql(ctx.server.url, RESET_PASSWORD, { token, newPassword: 'password' });
    expect(weak.body.data?.resetPassword.__typename).toBe('PasswordRejected');

    const reset = await gql(ctx.server.url, RESET_PASSWORD, { token, newPassword: NEW_PASSWORD });
    expect(reset.body.data?.resetPassword).toEqual({ __typename: 'PasswordChanged', signedOutSessions: 3 });
    expect(reset.text).not.toMatch(/accessToken|refreshToken/);

    for (const pair of pairs) {
      const me = await gql(ctx.server.url, ME, {}, bearer(pair.accessToken));
      expect(me.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const refresh = await gql(ctx.server.url, REFRESH, { refreshToken: pair.refreshToken });
      expect(refresh.body.data?.refreshSession.__typename).toBe('InvalidToken');
    }
    expect((await signIn(user.email, STRONG_PASSWORD)).__typename).toBe('InvalidCredentials');
    expect((await signIn(user.email, NEW_PASSWORD)).__typename).toBe('SignInSuccess');

    const reused = await gql(ctx.server.url, RESET_PASSWORD, {
      token,
      newPassword: 'yet another passphrase 5',
    });
    expect(reused.body.data?.resetPassword.__typename).toBe('InvalidToken');
    expect((await signIn(user.email, NEW_PASSWORD)).__typename).toBe('SignInSuccess');
    await ctx.smtp.waitFor(user.email, /password was reset/);
  });

  it('sends no mail for a reset of an unknown address', async () => {
    const unknown = uniqueEmail('unknown');
    const response = await gql(ctx.server.url, REQUEST_PASSWORD_RESET, { email: unknown });
    expect(response.body.data).toEqual({ requestPasswordReset: true });
    await drainOutbox(ctx.server);
    expect(ctx.smtp.mailsTo(unknown)).toEqual([]);
  });

  it('changes a password with the current one and signs out the other sessions', async () => {
    const user = await verifiedUser();
    const other = await signIn(user.email, STRONG_PASSWORD);
    const auth = bearer(user.tokens.accessToken);

    const anonymous = await gql(ctx.server.url, CHANGE_PASSWORD, {
      current: STRONG_PASSWORD,
      next: NEW_PASSWORD,
    });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const wrong = await gql(
      ctx.server.url,
      CHANGE_PASSWORD,
      { current: 'wrong password 12', next: NEW_PASSWORD },
      auth,
    );
    expect(wrong.body.data?.changePassword.__typename).toBe('InvalidCredentials');
    const weak = await gql(
      ctx.server.url,
      CHANGE_PASSWORD,
      { current: STRONG_PASSWORD, next: 'password1' },
      auth,
    );
    expect(weak.body.data?.changePassword.__typename).toBe('PasswordRejected');

    const changed = await gql(
      ctx.server.url,
      CHANGE_PASSWORD,
      { current: STRONG_PASSWORD, next: NEW_PASSWORD },
      auth,
    );
    expect(changed.body.data?.changePassword).toEqual({
      __typename: 'PasswordChanged',
      signedOutSessions: 1,
    });
    expect((await gql(ctx.server.url, ME, {}, auth)).body.data?.me.email).toBe(user.email);
    const otherMe = await gql(ctx.server.url, ME, {}, bearer(other.tokens.accessToken));
    expect(otherMe.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await signIn(user.email, NEW_PASSWORD)).__typename).toBe('SignInSuccess');
    await ctx.smtp.waitFor(user.email, /password was changed/);

    const keep = await gql(
      ctx.server.url,
      CHANGE_PASSWORD,
      { current: NEW_PASSWORD, next: STRONG_PASSWORD, others: false },
      auth,
    );
    expect(keep.body.data?.changePassword).toEqual({ __typename: 'PasswordChanged', signedOutSessions: 0 });
  });
});
