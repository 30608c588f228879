import { describe, expect, it } from 'vitest';
import { User } from '../../src/storage/entities/index.js';
import { bearer, gql, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import { challengeFor, codeAt, complete, enrolledUser, withinOneStep } from '../helpers/mfa.js';
import { useMailServer } from '../helpers/use-server.js';

/** Attacks on the admin API from an API key and from odd input (security review, session 3). */
const CREATE_KEY = `mutation($n: String!, $s: [String!]!) {
  createApiKey(name: $n, scopes: $s) { __typename ... on CreatedApiKey { key } }
}`;
const CREATE_USER = `mutation($e: String!, $r: [String!]!) {
  adminCreateUser(email: $e, roles: $r, sendInvite: true) { __typename ... on AdminUser { id roles } ... on UserError { code } }
}`;
const USERS = `query($q: String, $after: String) { adminUsers(first: 5, filter: { query: $q }, after: $after) { nodes { email } } }`;

describe('admin API attacked over HTTP (postgresql)', () => {
  const ctx = useMailServer('postgresql', { SIGNUP_MODE: 'immediate' });
  const fork = () => ctx.server.app.services.orm.em.fork();
  const url = () => ctx.server.url;

  async function mfaAdmin(): Promise<{ userId: string; token: string }> {
    await withinOneStep();
    const user = await enrolledUser(url());
    await fork().nativeUpdate(User, { id: user.userId }, { roles: ['admin'] });
    const done = await complete(
      url(),
      await challengeFor(url(), user.email, user.password),
      codeAt(user.secret),
    );
    return { userId: user.userId, token: done.tokens.accessToken as string };
  }

  it('a users:write key cannot create an account with a role (no admin for the mailbox it names)', async () => {
    const admin = await mfaAdmin();
    const writer = (await gql(url(), CREATE_KEY, { n: 'bot', s: ['users:write'] }, bearer(admin.token))).body
      .data?.createApiKey;
    const mailbox = uniqueEmail('attacker');
    const answer = await gql(url(), CREATE_USER, { e: mailbox, r: ['admin'] }, bearer(writer.key));
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'SESSION_REQUIRED',
    });
    expect(await fork().findOne(User, { email: mailbox })).toBeNull();
  });

  it('a cursor or a search with a NUL byte is bad input, not a server error', async () => {
    const admin = await mfaAdmin();
    for (const vars of [{ after: Buffer.from('a\u0000b').toString('base64url') }, { q: 'a\u0000b' }]) {
      const answer = await gql(url(), USERS, vars, bearer(admin.token));
      expect(answer.body.errors?.[0]?.extensions?.code, JSON.stringify(answer.body)).toBe('BAD_USER_INPUT');
    }
  });

  it('LIKE wildcards in the search match only themselves', async () => {
    const admin = await mfaAdmin();
    await signUpUser(url());
    for (const q of ['%', '_', '\\']) {
      const answer = await gql(url(), USERS, { q }, bearer(admin.token));
      expect(answer.body.data?.adminUsers?.nodes ?? [], JSON.stringify(answer.body)).toEqual([]);
    }
  });
});
