import { describe, expect, it } from 'vitest';
import { User } from '../../src/storage/entities/index.js';
import { bearer, gql, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import { linkIn } from '../helpers/smtp.js';
import { challengeFor, codeAt, complete, enrolledUser, withinOneStep } from '../helpers/mfa.js';
import { useMailServer } from '../helpers/use-server.js';

/** Attacks on the admin API from an API key and from odd input (security review, session 3). */
const CREATE_KEY = `mutation($n: String!, $s: [String!]!) {
  createApiKey(name: $n, scopes: $s) { __typename ... on CreatedApiKey { key } }
}`;
const CREATE_USER = `mutation($e: String!, $r: [String!]!) {
  adminCreateUser(email: $e, roles: $r, sendInvite: true) { __typename ... on AdminUser { id roles } ... on UserError { code } }
}`;
const F = `__typename ... on AdminUser { id disabled mfaEnabled roles } ... on UserError { code }`;
const ON_USER: Record<string, string> = {
  adminUpdateUser: `adminUpdateUser(id: $id, input: { displayName: "x" }) { ${F} }`,
  adminDisableUser: `adminDisableUser(id: $id, reason: "r") { ${F} }`,
  adminEnableUser: `adminEnableUser(id: $id) { ${F} }`,
  adminUnlockUser: `adminUnlockUser(id: $id) { ${F} }`,
  adminRevokeSessions: `adminRevokeSessions(id: $id) { ${F} }`,
  adminResetMfa: `adminResetMfa(id: $id) { ${F} }`,
  adminSendPasswordReset: `adminSendPasswordReset(id: $id) { ${F} }`,
  adminDeleteUser: `adminDeleteUser(id: $id) { __typename }`,
};
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
    const target = await signUpUser(url());
    const probes: Array<[string, Record<string, unknown>]> = [
      [USERS, { after: Buffer.from('a\u0000b').toString('base64url') }],
      [USERS, { q: 'a\u0000b' }],
      [
        `query($k: String) { adminAuditLog(first: 1, filter: { kind: $k }) { nodes { id } } }`,
        { k: 'a\u0000' },
      ],
      [
        `query($k: String) { adminAuditLog(first: 1, filter: { actor: $k }) { nodes { id } } }`,
        { k: 'a\u0000' },
      ],
      [
        `mutation($id: ID!, $r: String!) { adminDisableUser(id: $id, reason: $r) { __typename } }`,
        { id: target.userId, r: 'a\u0000' },
      ],
    ];
    for (const [doc, vars] of probes) {
      const answer = await gql(url(), doc, vars, bearer(admin.token));
      expect(answer.body.errors?.[0]?.extensions?.code, JSON.stringify(answer.body)).toBe('BAD_USER_INPUT');
    }
    expect((await fork().findOneOrFail(User, { id: target.userId })).disabledAt).toBeNull();
  });

  it('an API key cannot disable, delete, strip the second factor of or sign out an administrator; it still acts on other users', async () => {
    const creator = await mfaAdmin();
    const other = await mfaAdmin();
    const key = (
      await gql(url(), CREATE_KEY, { n: 'ops', s: ['users:write', 'sessions:write'] }, bearer(creator.token))
    ).body.data?.createApiKey.key as string;
    for (const [name, field] of Object.entries(ON_USER)) {
      for (const admin of [creator, other]) {
        const answer = await gql(url(), `mutation($id: ID!) { ${field} }`, { id: admin.userId }, bearer(key));
        expect(answer.body.errors?.[0]?.extensions, name).toMatchObject({
          code: 'FORBIDDEN',
          reason: 'SESSION_REQUIRED',
        });
      }
    }
    for (const admin of [creator, other]) {
      const row = await fork().findOneOrFail(User, { id: admin.userId });
      expect(row.roles).toEqual(['admin']);
      expect(row.disabledAt).toBeNull();
      expect(row.totpEnabledAt).not.toBeNull();
    }
    // The other admin's session still works.
    expect((await gql(url(), USERS, {}, bearer(other.token))).body.data?.adminUsers).toBeTruthy();
    const user = await signUpUser(url());
    const disabled = await gql(
      url(),
      `mutation($id: ID!) { ${ON_USER.adminDisableUser} }`,
      { id: user.userId },
      bearer(key),
    );
    expect(disabled.body.data?.adminDisableUser).toMatchObject({ id: user.userId, disabled: true });
  });

  it("editing a user's display name keeps their roles", async () => {
    const admin = await mfaAdmin();
    const other = await mfaAdmin();
    const answer = await gql(
      url(),
      `mutation($id: ID!) { ${ON_USER.adminUpdateUser} }`,
      { id: other.userId },
      bearer(admin.token),
    );
    expect(answer.body.data?.adminUpdateUser).toMatchObject({ id: other.userId, roles: ['admin'] });
    expect((await fork().findOneOrFail(User, { id: other.userId })).roles).toEqual(['admin']);
  });

  it('an administrator moving an account to another address ends the links mailed to the old one', async () => {
    const admin = await mfaAdmin();
    const victim = await signUpUser(url());
    await gql(url(), `mutation($e: String!) { requestPasswordReset(email: $e) }`, { e: victim.email });
    const link = linkIn(await ctx.smtp.waitFor(victim.email, /Reset your password/), '/reset-password');
    const moved = await gql(
      url(),
      `mutation($id: ID!, $e: String!) { adminUpdateUser(id: $id, input: { email: $e }) { ${F} } }`,
      { id: victim.userId, e: uniqueEmail('moved') },
      bearer(admin.token),
    );
    expect(moved.body.data?.adminUpdateUser?.id).toBe(victim.userId);
    const reset = await gql(
      url(),
      `mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { __typename } }`,
      { t: link.token, p: 'another strong password 77' },
    );
    expect(reset.body.data?.resetPassword?.__typename, JSON.stringify(reset.body)).toBe('InvalidToken');
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
