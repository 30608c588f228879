import { describe, expect, it } from 'vitest';
import { User } from '../../src/storage/entities/index.js';
import { BACKENDS } from '../helpers/database.js';
import { ME, SIGN_IN, bearer, gql, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import { challengeFor, codeAt, complete, enrolledUser, withinOneStep } from '../helpers/mfa.js';
import { useMailServer } from '../helpers/use-server.js';

const USER_FIELDS = `__typename ... on AdminUser { id email disabled mfaEnabled roles } ... on UserError { code }`;
const OPS: Record<string, { doc: string; vars: (id: string) => Record<string, unknown> }> = {
  adminUsers: { doc: `query { adminUsers(first: 5) { nodes { id } } }`, vars: () => ({}) },
  adminUser: { doc: `query($id: ID!) { adminUser(id: $id) { id } }`, vars: (id) => ({ id }) },
  adminAuditLog: { doc: `query { adminAuditLog(first: 5) { nodes { id } } }`, vars: () => ({}) },
  adminCreateUser: {
    doc: `mutation($e: String!) { adminCreateUser(email: $e, sendInvite: false) { ${USER_FIELDS} } }`,
    vars: () => ({ e: uniqueEmail('created') }),
  },
  adminUpdateUser: {
    doc: `mutation($id: ID!) { adminUpdateUser(id: $id, input: { displayName: "x" }) { ${USER_FIELDS} } }`,
    vars: (id) => ({ id }),
  },
  adminDisableUser: {
    doc: `mutation($id: ID!) { adminDisableUser(id: $id, reason: "r") { ${USER_FIELDS} } }`,
    vars: (id) => ({ id }),
  },
  adminEnableUser: {
    doc: `mutation($id: ID!) { adminEnableUser(id: $id) { ${USER_FIELDS} } }`,
    vars: (id) => ({ id }),
  },
  adminUnlockUser: {
    doc: `mutation($id: ID!) { adminUnlockUser(id: $id) { ${USER_FIELDS} } }`,
    vars: (id) => ({ id }),
  },
  adminRevokeSessions: {
    doc: `mutation($id: ID!) { adminRevokeSessions(id: $id) { ${USER_FIELDS} } }`,
    vars: (id) => ({ id }),
  },
  adminResetMfa: {
    doc: `mutation($id: ID!) { adminResetMfa(id: $id) { ${USER_FIELDS} } }`,
    vars: (id) => ({ id }),
  },
  adminSendPasswordReset: {
    doc: `mutation($id: ID!) { adminSendPasswordReset(id: $id) { ${USER_FIELDS} } }`,
    vars: (id) => ({ id }),
  },
  adminDeleteUser: {
    doc: `mutation($id: ID!) { adminDeleteUser(id: $id) { __typename } }`,
    vars: (id) => ({ id }),
  },
  createApiKey: {
    doc: `mutation { createApiKey(name: "k", scopes: ["users:read"]) { __typename } }`,
    vars: () => ({}),
  },
  apiKeys: { doc: `query { apiKeys { id } }`, vars: () => ({}) },
};

const DISABLE = `mutation($id: ID!, $r: String!) { adminDisableUser(id: $id, reason: $r) { ${USER_FIELDS} } }`;
const CREATE_KEY = `mutation($n: String!, $s: [String!]!, $x: DateTime) {
  createApiKey(name: $n, scopes: $s, expiresAt: $x) { __typename ... on CreatedApiKey { key apiKey { id scopes } } }
}`;

describe.each(BACKENDS)('administration over HTTP (%s)', (backend) => {
  const ctx = useMailServer(backend, { SIGNUP_MODE: 'immediate' });
  const fork = () => ctx.server.app.services.orm.em.fork();
  const url = () => ctx.server.url;

  /** An admin signed in with password + TOTP: amr shows the second factor. */
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

  it('refuses every admin operation to a non-admin and to an admin without a second factor', async () => {
    const target = await signUpUser(url());
    const plain = await signUpUser(url());
    const admin = await signUpUser(url());
    await fork().nativeUpdate(User, { id: admin.userId }, { roles: ['admin'] });
    const adminNoMfa = await gql(url(), SIGN_IN, { email: admin.email, password: admin.password });
    const adminToken = adminNoMfa.body.data?.signIn.tokens.accessToken as string;
    for (const [name, op] of Object.entries(OPS)) {
      const asUser = await gql(url(), op.doc, op.vars(target.userId), bearer(plain.accessToken));
      expect(asUser.body.errors?.[0]?.extensions, name).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'ROLE_REQUIRED',
      });
      const asAdmin = await gql(url(), op.doc, op.vars(target.userId), bearer(adminToken));
      expect(asAdmin.body.errors?.[0]?.extensions, name).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'ADMIN_MFA_REQUIRED',
      });
      const anonymous = await gql(url(), op.doc, op.vars(target.userId));
      expect(anonymous.body.errors?.[0]?.extensions?.code, name).toBe('UNAUTHENTICATED');
    }
    // Nothing happened to the target.
    const me = await gql(url(), ME, {}, bearer(target.accessToken));
    expect(me.body.data?.me.id).toBe(target.userId);
  });

  it('disables a user: the live access token is refused at once, sign-in fails like a wrong password, enable restores', async () => {
    const admin = await mfaAdmin();
    const victim = await signUpUser(url());
    const disabled = await gql(url(), DISABLE, { id: victim.userId, r: 'fraud report' }, bearer(admin.token));
    expect(disabled.body.data?.adminDisableUser).toMatchObject({ __typename: 'AdminUser', disabled: true });
    const me = await gql(url(), ME, {}, bearer(victim.accessToken));
    expect(me.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const signIn = await gql(url(), SIGN_IN, { email: victim.email, password: victim.password });
    expect(signIn.body.data?.signIn.__typename).toBe('InvalidCredentials');
    const log = await gql(
      url(),
      `query($u: String) { adminAuditLog(filter: { userId: $u }, first: 20) { nodes { kind result actor detail } } }`,
      { u: victim.userId },
      bearer(admin.token),
    );
    const nodes = log.body.data?.adminAuditLog.nodes as {
      kind: string;
      result: string;
      actor: string;
      detail: string;
    }[];
    expect(nodes).toContainEqual({
      kind: 'admin_user_disabled',
      result: 'success',
      actor: `user:${admin.userId}`,
      detail: 'fraud report',
    });
    expect(nodes).toContainEqual(
      expect.objectContaining({ kind: 'sign_in', result: 'rejected', detail: 'account-disabled' }),
    );
    const enable = await gql(url(), OPS.adminEnableUser!.doc, { id: victim.userId }, bearer(admin.token));
    expect(enable.body.data?.adminEnableUser.disabled).toBe(false);
    const again = await gql(url(), SIGN_IN, { email: victim.email, password: victim.password });
    expect(again.body.data?.signIn.__typename).toBe('SignInSuccess');
  });

  it('finds users by email prefix with stable cursor pages, revokes sessions, and unlocks a locked owner', async () => {
    const admin = await mfaAdmin();
    const prefix = `find-${Date.now().toString(36)}`;
    const users = [];
    for (let i = 0; i < 3; i += 1) users.push(await signUpUser(url(), `${prefix}-${i}@example.com`));
    const page = async (after: string | null) =>
      (
        await gql(
          url(),
          `query($q: String, $a: String) { adminUsers(filter: { query: $q }, first: 2, after: $a) { nodes { email } pageInfo { hasNextPage endCursor } } }`,
          { q: prefix.toUpperCase(), a: after },
          bearer(admin.token),
        )
      ).body.data?.adminUsers;
    const first = await page(null);
    const second = await page(first.pageInfo.endCursor);
    expect([...first.nodes, ...second.nodes].map((n: { email: string }) => n.email)).toEqual(
      users.map((u) => u.email),
    );
    expect([first.pageInfo.hasNextPage, second.pageInfo.hasNextPage]).toEqual([true, false]);

    const revoke = await gql(
      url(),
      OPS.adminRevokeSessions!.doc,
      { id: users[0]!.userId },
      bearer(admin.token),
    );
    expect(revoke.body.data?.adminRevokeSessions.__typename).toBe('AdminUser');
    expect((await gql(url(), ME, {}, bearer(users[0]!.accessToken))).body.errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );

    const owner = users[1]!;
    for (let i = 0; i < 7; i += 1)
      await gql(url(), SIGN_IN, { email: owner.email, password: 'wrong password 123' });
    const locked = await gql(url(), SIGN_IN, { email: owner.email, password: owner.password });
    expect(locked.body.data?.signIn.__typename).toBe('TooManyAttempts');
    await gql(url(), OPS.adminUnlockUser!.doc, { id: owner.userId }, bearer(admin.token));
    const unlocked = await gql(url(), SIGN_IN, { email: owner.email, password: owner.password });
    expect(unlocked.body.data?.signIn.__typename).toBe('SignInSuccess');
  });

  it('resets a lost second factor and mails the owner', async () => {
    const admin = await mfaAdmin();
    await withinOneStep();
    const owner = await enrolledUser(url());
    const reset = await gql(url(), OPS.adminResetMfa!.doc, { id: owner.userId }, bearer(admin.token));
    expect(reset.body.data?.adminResetMfa).toMatchObject({ __typename: 'AdminUser', mfaEnabled: false });
    const signIn = await gql(url(), SIGN_IN, { email: owner.email, password: owner.password });
    expect(signIn.body.data?.signIn.__typename).toBe('SignInSuccess');
    const mail = await ctx.smtp.waitFor(owner.email, /two-factor authentication was turned off/i);
    expect(mail.to).toContain(owner.email);
  });

  it('API keys act with only their scopes, are stored hashed, and stop when revoked or expired', async () => {
    const admin = await mfaAdmin();
    const target = await signUpUser(url());
    const created = await gql(url(), CREATE_KEY, { n: 'ci reader', s: ['users:read'] }, bearer(admin.token));
    const { key, apiKey } = created.body.data!.createApiKey;
    expect(key).toMatch(/^plk_[A-Za-z0-9_-]{43}$/);
    const stored = await fork().getConnection().execute('select * from api_keys');
    expect(JSON.stringify(stored)).not.toContain(key.slice(4));
    const read = await gql(url(), OPS.adminUser!.doc, { id: target.userId }, bearer(key));
    expect(read.body.data?.adminUser.id).toBe(target.userId);
    const write = await gql(url(), DISABLE, { id: target.userId, r: 'x' }, bearer(key));
    expect(write.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'SCOPE_REQUIRED' });
    expect((await gql(url(), ME, {}, bearer(key))).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const audit = await gql(url(), OPS.adminAuditLog!.doc, {}, bearer(key));
    expect(audit.body.errors?.[0]?.extensions?.reason).toBe('SCOPE_REQUIRED');

    // A writer key: the audit event names the key.
    const writer = (await gql(url(), CREATE_KEY, { n: 'ops bot', s: ['users:write'] }, bearer(admin.token)))
      .body.data?.createApiKey;
    const byKey = await gql(url(), DISABLE, { id: target.userId, r: 'automated' }, bearer(writer.key));
    expect(byKey.body.data?.adminDisableUser.disabled).toBe(true);
    const events = await fork()
      .getConnection()
      .execute(`select actor, detail from audit_events where kind = 'admin_user_disabled' and user_id = ?`, [
        target.userId,
      ]);
    expect(events).toEqual([{ actor: `key:${writer.apiKey.id}`, detail: 'key "ops bot"; automated' }]);

    const revoked = await gql(
      url(),
      `mutation($id: ID!) { revokeApiKey(id: $id) }`,
      { id: apiKey.id },
      bearer(admin.token),
    );
    expect(revoked.body.data?.revokeApiKey).toBe(true);
    expect(
      (await gql(url(), OPS.adminUser!.doc, { id: target.userId }, bearer(key))).body.errors?.[0]?.extensions
        ?.code,
    ).toBe('UNAUTHENTICATED');
    const shortLived = (
      await gql(
        url(),
        CREATE_KEY,
        { n: 'short', s: ['users:read'], x: new Date(Date.now() + 1500).toISOString() },
        bearer(admin.token),
      )
    ).body.data?.createApiKey;
    expect(
      (await gql(url(), OPS.adminUser!.doc, { id: target.userId }, bearer(shortLived.key))).body.data
        ?.adminUser.id,
    ).toBe(target.userId);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect(
      (await gql(url(), OPS.adminUser!.doc, { id: target.userId }, bearer(shortLived.key))).body.errors?.[0]
        ?.extensions?.code,
    ).toBe('UNAUTHENTICATED');
  });

  it('a users:write key can neither grant roles nor move an address, and every key ends with its creator’s admin role', async () => {
    const admin = await mfaAdmin();
    const target = await signUpUser(url());
    const writer = (
      await gql(url(), CREATE_KEY, { n: 'bot', s: ['users:write', 'users:read'] }, bearer(admin.token))
    ).body.data?.createApiKey;
    const UPDATE = `mutation($id: ID!, $input: AdminUserUpdate!) { adminUpdateUser(id: $id, input: $input) { __typename } }`;
    for (const input of [{ roles: ['admin'] }, { email: 'attacker-mailbox@example.com' }]) {
      const refused = await gql(url(), UPDATE, { id: target.userId, input }, bearer(writer.key));
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'SESSION_REQUIRED',
      });
    }
    const row = await fork().findOneOrFail(User, { id: target.userId });
    expect(row.roles).toEqual([]);
    expect(row.email).toBe(target.email);
    // The creator stops being an admin: the key stops with them.
    expect(
      (await gql(url(), OPS.adminUser!.doc, { id: target.userId }, bearer(writer.key))).body.data?.adminUser
        .id,
    ).toBe(target.userId);
    await fork().nativeUpdate(User, { id: admin.userId }, { roles: [] });
    expect(
      (await gql(url(), OPS.adminUser!.doc, { id: target.userId }, bearer(writer.key))).body.errors?.[0]
        ?.extensions?.code,
    ).toBe('UNAUTHENTICATED');
  });

  it('deletes an account: no table keeps its email or password hash, the audit trail keeps the id', async () => {
    const admin = await mfaAdmin();
    const victim = await signUpUser(url());
    const hash = (await fork().findOneOrFail(User, { id: victim.userId })).passwordHash!;
    const deleted = await gql(url(), OPS.adminDeleteUser!.doc, { id: victim.userId }, bearer(admin.token));
    expect(deleted.body.data?.adminDeleteUser.__typename).toBe('AdminUserDeleted');
    await ctx.smtp.waitFor(victim.email, /deleted/);
    expect((await gql(url(), ME, {}, bearer(victim.accessToken))).body.errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    const connection = fork().getConnection();
    const tables =
      backend === 'postgresql'
        ? (
            await connection.execute(`select tablename as name from pg_tables where schemaname = 'public'`)
          ).map((r: { name: string }) => r.name)
        : (await connection.execute(`select name from sqlite_master where type = 'table'`)).map(
            (r: { name: string }) => r.name,
          );
    expect(tables).toContain('users');
    for (const table of tables) {
      const rows = await connection.execute(`select * from "${table}"`);
      const text = JSON.stringify(rows).toLowerCase();
      expect(text.includes(victim.email.toLowerCase()), `${table} keeps the email`).toBe(false);
      expect(text.includes(hash.toLowerCase()), `${table} keeps the hash`).toBe(false);
    }
    const trail = await connection.execute(`select kind from audit_events where user_id = ?`, [
      victim.userId,
    ]);
    expect(trail.map((r: { kind: string }) => r.kind)).toContain('admin_user_deleted');
  });

  it('lets a user update the profile (validated metadata) and delete the account, leaving no email or hash', async () => {
    const user = await signUpUser(url());
    const update = `mutation($d: String, $m: String) { updateProfile(displayName: $d, publicMetadata: $m) { displayName publicMetadata } }`;
    const ok = await gql(url(), update, { d: ' Ada ', m: '{"theme": "dark"}' }, bearer(user.accessToken));
    expect(ok.body.data?.updateProfile).toEqual({ displayName: 'Ada', publicMetadata: '{"theme":"dark"}' });
    const bad = await gql(url(), update, { m: '[1,2]' }, bearer(user.accessToken));
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const big = await gql(
      url(),
      update,
      { m: JSON.stringify({ a: 'x'.repeat(5000) }) },
      bearer(user.accessToken),
    );
    expect(big.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const hash = (await fork().findOneOrFail(User, { id: user.userId })).passwordHash!;
    const deleted = await gql(
      url(),
      `mutation { deleteAccount { __typename ... on AccountDeleted { deleted } } }`,
      {},
      bearer(user.accessToken),
    );
    expect(deleted.body.data?.deleteAccount).toEqual({ __typename: 'AccountDeleted', deleted: true });
    await ctx.smtp.waitFor(user.email, /deleted/);
    expect((await gql(url(), ME, {}, bearer(user.accessToken))).body.errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    const signIn = await gql(url(), SIGN_IN, { email: user.email, password: user.password });
    expect(signIn.body.data?.signIn.__typename).toBe('InvalidCredentials');
    const connection = fork().getConnection();
    const rows = await connection.execute(`select * from users where email = ? or password_hash = ?`, [
      user.email,
      hash,
    ]);
    expect(rows).toEqual([]);
    const trail = await connection.execute(`select kind from audit_events where user_id = ?`, [user.userId]);
    expect(trail.map((r: { kind: string }) => r.kind)).toContain('account_deleted');
  });
});
