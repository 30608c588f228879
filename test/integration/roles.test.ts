import { graphql } from 'graphql';
import { Authorized, Query, Resolver, buildSchema } from 'type-graphql';
import { describe, expect, it } from 'vitest';
import { createAdmin } from '../../src/auth/create-admin.js';
import { storedRoles, validateRoles } from '../../src/auth/roles.js';
import type { ApiKeyPrincipal, AuthState, Context } from '../../src/context.js';
import { authCheckerFor } from '../../src/resolvers/auth-checker.js';
import { AuditEvent, User } from '../../src/storage/entities/index.js';
import { BACKENDS } from '../helpers/database.js';
import { RESET_PASSWORD } from '../helpers/email-documents.js';
import { SIGN_IN, STRONG_PASSWORD, bearer, gql, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import { useServer } from '../helpers/use-server.js';

function claims(accessToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8'));
}

/** Fields guarded like the admin API: the checker is the one the app uses. */
@Resolver()
class ProbeResolver {
  @Authorized('admin', 'users:read')
  @Query(() => String)
  adminProbe(): string {
    return 'ok';
  }

  @Authorized()
  @Query(() => String)
  sessionProbe(): string {
    return 'ok';
  }

  @Authorized('support')
  @Query(() => String)
  supportProbe(): string {
    return 'ok';
  }
}

const ME_ROLES = `query { me { id roles } }`;

describe('roles (validation)', () => {
  it('normalises, de-duplicates and sorts roles; refuses bad names and too many', () => {
    expect(validateRoles([' Support', 'admin', 'support'])).toEqual({
      ok: true,
      roles: ['admin', 'support'],
    });
    expect(validateRoles(['has space']).ok).toBe(false);
    expect(validateRoles(['a,b']).ok).toBe(false);
    expect(validateRoles(['x'.repeat(33)]).ok).toBe(false);
    expect(validateRoles(Array.from({ length: 17 }, (_, i) => `r${i}`)).ok).toBe(false);
    expect(storedRoles(['admin', 'support'])).toBe(',admin,support,');
    expect(storedRoles([])).toBe('');
  });
});

describe.each(BACKENDS)('roles and the authChecker (%s)', (backend) => {
  const ctx = useServer(backend);
  const fork = () => ctx.server.app.services.orm.em.fork();

  async function probe(
    field: string,
    principal: { auth?: AuthState; apiKey?: ApiKeyPrincipal },
    adminRequireMfa = true,
  ): Promise<{ data: unknown; code: unknown; reason: unknown }> {
    const schema = await buildSchema({
      resolvers: [ProbeResolver],
      authChecker: authCheckerFor({ adminRequireMfa }),
      validate: false,
    });
    const contextValue = {
      em: fork(),
      auth: principal.auth ?? null,
      apiKey: principal.apiKey ?? null,
    } as Context;
    const result = await graphql({ schema, source: `{ ${field} }`, contextValue });
    const error = result.errors?.[0];
    return {
      data: result.data?.[field] ?? null,
      code: error?.extensions?.code,
      reason: error?.extensions?.reason,
    };
  }

  const session = (userId: string, amr: string[]): AuthState => ({ userId, sessionId: 'x', amr, roles: [] });

  it('create-admin promotes an existing user: the access token and `me` carry the role', async () => {
    const user = await signUpUser(ctx.server.url);
    expect(claims(user.accessToken).roles).toEqual([]);
    const outcome = await createAdmin(
      fork(),
      user.email.toUpperCase(),
      ctx.server.app.services.oneTimeTokens,
    );
    expect(outcome).toMatchObject({ kind: 'promoted', userId: user.userId });
    expect((await createAdmin(fork(), user.email, ctx.server.app.services.oneTimeTokens)).kind).toBe(
      'already-admin',
    );
    const signIn = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    const token = signIn.body.data?.signIn.tokens.accessToken as string;
    expect(claims(token).roles).toEqual(['admin']);
    const me = await gql(ctx.server.url, ME_ROLES, {}, bearer(token));
    expect(me.body.data?.me.roles).toEqual(['admin']);
    expect(await fork().count(AuditEvent, { userId: user.userId, kind: 'roles_changed' })).toBe(1);
  });

  it('create-admin creates a missing user whose single-use link sets the password', async () => {
    const email = uniqueEmail('first-admin');
    const outcome = await createAdmin(fork(), email, ctx.server.app.services.oneTimeTokens);
    if (outcome.kind !== 'created') throw new Error(`expected created, got ${outcome.kind}`);
    const reset = await gql(ctx.server.url, RESET_PASSWORD, {
      token: outcome.setPasswordToken,
      newPassword: STRONG_PASSWORD,
    });
    expect(reset.body.data?.resetPassword.__typename).toBe('PasswordChanged');
    const again = await gql(ctx.server.url, RESET_PASSWORD, {
      token: outcome.setPasswordToken,
      newPassword: STRONG_PASSWORD,
    });
    expect(again.body.data?.resetPassword.__typename).not.toBe('PasswordChanged');
    const signIn = await gql(ctx.server.url, SIGN_IN, { email, password: STRONG_PASSWORD });
    expect(claims(signIn.body.data?.signIn.tokens.accessToken).roles).toEqual(['admin']);
  });

  it('admin fields: a non-admin is refused, an admin needs a second factor (ADMIN_REQUIRE_MFA)', async () => {
    const plain = await signUpUser(ctx.server.url);
    const admin = await signUpUser(ctx.server.url);
    await fork().nativeUpdate(User, { id: admin.userId }, { roles: ['admin'] });

    expect(await probe('adminProbe', { auth: session(plain.userId, ['pwd', 'otp', 'mfa']) })).toMatchObject({
      data: null,
      code: 'FORBIDDEN',
      reason: 'ROLE_REQUIRED',
    });
    expect(await probe('adminProbe', { auth: session(admin.userId, ['pwd']) })).toMatchObject({
      data: null,
      code: 'FORBIDDEN',
      reason: 'ADMIN_MFA_REQUIRED',
    });
    expect((await probe('adminProbe', { auth: session(admin.userId, ['pwd', 'otp', 'mfa']) })).data).toBe(
      'ok',
    );
    expect((await probe('adminProbe', { auth: session(admin.userId, ['hwk']) })).data).toBe('ok');
    expect((await probe('adminProbe', { auth: session(admin.userId, ['pwd']) }, false)).data).toBe('ok');
    expect((await probe('adminProbe', {})).code).toBe('UNAUTHENTICATED');
    // An application role is no admin role, and needs no second factor of its own.
    expect((await probe('supportProbe', { auth: session(admin.userId, ['pwd', 'otp', 'mfa']) })).reason).toBe(
      'ROLE_REQUIRED',
    );
    await fork().nativeUpdate(User, { id: plain.userId }, { roles: ['support'] });
    expect((await probe('supportProbe', { auth: session(plain.userId, ['pwd']) })).data).toBe('ok');
  });

  it('reads roles from the database, not the token: a removed role stops at once', async () => {
    const admin = await signUpUser(ctx.server.url);
    await fork().nativeUpdate(User, { id: admin.userId }, { roles: ['admin'] });
    const token = { ...session(admin.userId, ['pwd', 'otp', 'mfa']), roles: ['admin'] };
    expect((await probe('adminProbe', { auth: token })).data).toBe('ok');
    await fork().nativeUpdate(User, { id: admin.userId }, { roles: [] });
    expect((await probe('adminProbe', { auth: token })).reason).toBe('ROLE_REQUIRED');
  });

  it('an API key passes only fields naming one of its scopes, never a plain session field', async () => {
    const key = (scopes: string[]): ApiKeyPrincipal => ({ keyId: 'k', name: 'ci', scopes });
    expect((await probe('adminProbe', { apiKey: key(['users:read']) })).data).toBe('ok');
    expect(await probe('adminProbe', { apiKey: key(['audit:read']) })).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'SCOPE_REQUIRED',
    });
    expect((await probe('sessionProbe', { apiKey: key(['users:read', 'users:write']) })).reason).toBe(
      'SCOPE_REQUIRED',
    );
    expect((await probe('supportProbe', { apiKey: key(['users:read']) })).reason).toBe('SCOPE_REQUIRED');
  });
});
