import { describe, expect, it } from 'vitest';
import { MailOutboxEntry, User } from '../../src/storage/entities/index.js';
import { BACKENDS } from '../helpers/database.js';
import { REQUEST_MAGIC_LINK, REQUEST_PASSWORD_RESET, RESET_PASSWORD } from '../helpers/email-documents.js';
import { bearer, gql, signUpUser } from '../helpers/graphql.js';
import { challengeFor, codeAt, complete, enrolledUser, withinOneStep } from '../helpers/mfa.js';
import { linkIn, sleep } from '../helpers/smtp.js';
import { useMailServer } from '../helpers/use-server.js';

const CREATE_KEY = `mutation($n: String!, $s: [String!]!) {
  createApiKey(name: $n, scopes: $s) { __typename ... on CreatedApiKey { key } }
}`;
const FIELD = (field: string) => `query($id: ID!) { adminUser(id: $id) { id email ${field} } }`;
const GUARDED = {
  sessions: 'sessions { id }',
  recentEvents: 'recentEvents { id }',
  privateMetadata: 'privateMetadata',
} as const;

describe.each(BACKENDS)('admin API scopes and API-key authentication (%s)', (backend) => {
  const ctx = useMailServer(backend, { SIGNUP_MODE: 'immediate' });
  const url = () => ctx.server.url;
  const fork = () => ctx.server.app.services.orm.em.fork();

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

  const createKey = async (admin: { token: string }, scopes: string[]) =>
    (await gql(url(), CREATE_KEY, { n: `k-${scopes.join('-')}`, s: scopes }, bearer(admin.token))).body.data
      ?.createApiKey.key as string;

  it('a users:read key reads the profile but not sessions, audit events or privateMetadata; the scopes that own them do', async () => {
    const admin = await mfaAdmin();
    const target = await signUpUser(url());
    await fork().nativeUpdate(User, { id: target.userId }, { privateMetadata: '{"plan":"internal"}' });
    const reader = await createKey(admin, ['users:read']);
    const plain = await gql(url(), FIELD(''), { id: target.userId }, bearer(reader));
    expect(plain.body.data?.adminUser).toMatchObject({ id: target.userId, email: target.email });
    for (const selection of Object.values(GUARDED)) {
      const refused = await gql(url(), FIELD(selection), { id: target.userId }, bearer(reader));
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'SCOPE_REQUIRED',
      });
      // Nothing of the refused field reaches the key (privateMetadata is nullable: its own value is null).
      const name = selection.split(' ')[0]!;
      expect(refused.body.data?.adminUser?.[name] ?? null).toBeNull();
    }
    const owners = {
      sessions: await createKey(admin, ['users:read', 'sessions:write']),
      recentEvents: await createKey(admin, ['users:read', 'audit:read']),
      privateMetadata: await createKey(admin, ['users:read', 'users:write']),
    };
    for (const [field, key] of Object.entries(owners)) {
      const selection = GUARDED[field as keyof typeof GUARDED];
      const seen = await gql(url(), FIELD(selection), { id: target.userId }, bearer(key));
      expect(seen.body.errors).toBeUndefined();
      expect(seen.body.data?.adminUser[field]).toEqual(
        field === 'privateMetadata' ? '{"plan":"internal"}' : expect.any(Array),
      );
      // …and only that one: the other guarded fields stay refused.
      for (const [other, otherSelection] of Object.entries(GUARDED)) {
        if (other === field) continue;
        const refused = await gql(url(), FIELD(otherSelection), { id: target.userId }, bearer(key));
        expect(refused.body.errors?.[0]?.extensions?.reason).toBe('SCOPE_REQUIRED');
      }
    }
    // An admin session sees every field.
    const all = await gql(
      url(),
      FIELD(Object.values(GUARDED).join(' ')),
      { id: target.userId },
      bearer(admin.token),
    );
    expect(all.body.errors).toBeUndefined();
    expect(all.body.data?.adminUser.sessions).toHaveLength(1);
  });

  it('authenticates an API key in one statement, joined with its creator, and ends it when the creator is disabled', async () => {
    const admin = await mfaAdmin();
    const key = await createKey(admin, ['audit:read']);
    const AUDIT = `query { adminAuditLog(first: 1) { nodes { id } } }`;
    const statements: string[] = [];
    // The mail sender and the webhook dispatcher poll their tables in the background: not this request's.
    const background = /mail_outbox|webhook_deliveries|webhook_endpoints|begin|commit|rollback|savepoint/i;
    ctx.server.app.services.orm.config.set('onQuery', (sql: string) => {
      if (!background.test(sql)) statements.push(sql);
      return sql;
    });
    try {
      expect((await gql(url(), AUDIT, {}, bearer(key))).body.errors).toBeUndefined();
      statements.length = 0;
      expect((await gql(url(), AUDIT, {}, bearer(key))).body.errors).toBeUndefined();
      const keyReads = statements.filter((sql) => /api_keys/.test(sql));
      expect(keyReads).toHaveLength(1);
      expect(keyReads[0]).toMatch(/join\s+"?users"?/i);
      // Nothing else reads the creator's row: the key lookup and the audit page, nothing more.
      expect(statements.filter((sql) => /from\s+"?users"?/i.test(sql))).toEqual([]);
      expect(statements).toHaveLength(2);
    } finally {
      ctx.server.app.services.orm.config.set('onQuery', (sql: string) => sql);
    }
    await fork().nativeUpdate(User, { id: admin.userId }, { disabledAt: new Date() });
    const refused = await gql(url(), AUDIT, {}, bearer(key));
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await fork().nativeUpdate(User, { id: admin.userId }, { disabledAt: null });
    expect((await gql(url(), AUDIT, {}, bearer(key))).body.errors).toBeUndefined();
  });

  it('mails no reset or sign-in link to a disabled account (even one an admin asks for), answers the same, and refuses a reset link mailed before', async () => {
    const admin = await mfaAdmin();
    const disabled = await signUpUser(url());
    const control = await signUpUser(url());
    // A reset link mailed while the account was enabled.
    await gql(url(), REQUEST_PASSWORD_RESET, { email: disabled.email });
    const early = linkIn(await ctx.smtp.waitFor(disabled.email, /Reset your password/), '/reset-password');
    const DISABLE = `mutation($id: ID!) { adminDisableUser(id: $id, reason: "r") { __typename } }`;
    expect(
      (await gql(url(), DISABLE, { id: disabled.userId }, bearer(admin.token))).body.data?.adminDisableUser
        .__typename,
    ).toBe('AdminUser');
    const mailsBefore = ctx.smtp.mailsTo(disabled.email).length;

    for (const [document, field] of [
      [REQUEST_PASSWORD_RESET, 'requestPasswordReset'],
      [REQUEST_MAGIC_LINK, 'requestMagicLink'],
    ] as const) {
      const forDisabled = await gql(url(), document, { email: disabled.email });
      const forEnabled = await gql(url(), document, { email: control.email });
      expect(forDisabled.body).toEqual(forEnabled.body);
      expect(forDisabled.body.data?.[field]).toBe(true);
    }
    const SEND_RESET = `mutation($id: ID!) { adminSendPasswordReset(id: $id) { __typename } }`;
    await gql(url(), SEND_RESET, { id: disabled.userId }, bearer(admin.token));
    // The enabled control account got both its mails; the queue is empty, so every job was handled.
    await ctx.smtp.waitFor(control.email, /Reset your password/);
    await ctx.smtp.waitFor(control.email, /sign-in link/);
    for (let i = 0; i < 200 && (await fork().count(MailOutboxEntry, {})) > 0; i += 1) await sleep(50);
    expect(await fork().count(MailOutboxEntry, {})).toBe(0);
    expect(ctx.smtp.mailsTo(disabled.email)).toHaveLength(mailsBefore);

    const late = await gql(url(), RESET_PASSWORD, {
      token: early.token,
      newPassword: 'another long passphrase 5',
    });
    expect(late.body.data?.resetPassword).toMatchObject({
      __typename: 'InvalidToken',
      code: 'INVALID_TOKEN',
    });
  });
});
