import { createHash, createHmac, hkdfSync, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/database.js';
import { bearer, gql, ME, SIGN_IN, signUpUser } from '../helpers/graphql.js';
import {
  accessTokenAmr,
  BEGIN,
  challengeFor,
  codeAt,
  complete,
  CONFIRM,
  DISABLE,
  enrolledUser,
  REGENERATE,
  withinOneStep,
  wrongCode,
} from '../helpers/mfa.js';
import { TEST_AUTH_SECRET } from '../helpers/server.js';
import { useServer } from '../helpers/use-server.js';
import { RecoveryCode } from '../../src/storage/entities/index.js';

describe.each(BACKENDS)('TOTP second factor over HTTP (%s)', (backend) => {
  const ctx = useServer(backend);

  async function userRow(id: string): Promise<Record<string, any>> {
    const rows = await ctx.server.app.services.orm.em
      .fork()
      .getConnection()
      .execute('select * from users where id = ?', [id]);
    return rows[0] as Record<string, any>;
  }

  async function sql(statement: string, params: unknown[]): Promise<void> {
    await ctx.server.app.services.orm.em.fork().getConnection().execute(statement, params, 'run');
  }

  it('enrolls with a code from the returned secret, then signs in with password and code', async () => {
    await withinOneStep();
    const user = await signUpUser(ctx.server.url);
    const auth = bearer(user.accessToken);

    const begin = await gql(ctx.server.url, BEGIN, {}, auth);
    const { secret, otpauthUri } = begin.body.data!.beginTotpEnrollment;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(decodeURIComponent(uri.pathname)).toBe(`/Plinto:${user.email}`);
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Plinto');

    // Nothing is on until confirmed; the pending secret is stored sealed, never in clear.
    expect((await gql(ctx.server.url, ME, {}, auth)).body.data?.me.mfaEnabled).toBe(false);
    const pending = await userRow(user.userId);
    expect(pending.totp_secret_encrypted).toBeNull();
    expect(pending.totp_pending_secret_encrypted).toBeTruthy();
    expect(pending.totp_pending_secret_encrypted).not.toContain(secret);
    const early = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    expect(early.body.data?.signIn.__typename).toBe('SignInSuccess');

    const wrong = await gql(ctx.server.url, CONFIRM, { code: wrongCode(secret) }, auth);
    expect(wrong.body.data?.confirmTotpEnrollment.__typename).toBe('InvalidMfaCode');
    const twoStepsOld = await gql(ctx.server.url, CONFIRM, { code: codeAt(secret, -60) }, auth);
    expect(twoStepsOld.body.data?.confirmTotpEnrollment.__typename).toBe('InvalidMfaCode');

    const confirm = await gql(ctx.server.url, CONFIRM, { code: codeAt(secret) }, auth);
    const codes = confirm.body.data?.confirmTotpEnrollment.codes as string[];
    expect(confirm.body.data?.confirmTotpEnrollment.__typename).toBe('RecoveryCodes');
    expect(new Set(codes).size).toBe(10);
    expect((await gql(ctx.server.url, ME, {}, auth)).body.data?.me.mfaEnabled).toBe(true);

    const stored = await userRow(user.userId);
    expect(stored.totp_secret_encrypted).toBeTruthy();
    expect(stored.totp_secret_encrypted).not.toBe(secret);
    expect(stored.totp_secret_encrypted).not.toContain(secret);
    expect(stored.totp_pending_secret_encrypted).toBeNull();
    const hashes = await ctx.server.app.services.orm.em
      .fork()
      .getConnection()
      .execute('select code_hash from recovery_codes where user_id = ?', [user.userId]);
    expect(hashes).toHaveLength(10);
    expect(hashes.map((r: { code_hash: string }) => r.code_hash)).not.toContain(codes[0]);

    // The code that confirmed the enrollment is spent: it cannot finish a sign-in.
    const challengeToken = await challengeFor(ctx.server.url, user.email, user.password);
    expect(await complete(ctx.server.url, challengeToken, codeAt(secret))).toMatchObject({
      __typename: 'InvalidMfaCode',
    });
    const next = codeAt(secret, 30);
    const success = await complete(ctx.server.url, challengeToken, next);
    expect(success.__typename).toBe('SignInSuccess');
    expect(success.user.mfaEnabled).toBe(true);
    expect(accessTokenAmr(success.tokens.accessToken).sort()).toEqual(['mfa', 'otp', 'pwd']);
    expect((await gql(ctx.server.url, ME, {}, bearer(success.tokens.accessToken))).body.data?.me.id).toBe(
      user.userId,
    );

    // The same code a second time, on a new challenge, is a replay.
    const again = await challengeFor(ctx.server.url, user.email, user.password);
    expect(await complete(ctx.server.url, again, next)).toMatchObject({ __typename: 'InvalidMfaCode' });
    // The token of a finished challenge is spent too.
    expect(await complete(ctx.server.url, challengeToken, next)).toMatchObject({
      __typename: 'InvalidToken',
    });
  });

  it('refuses a code two steps old at sign-in, and accepts one step old', async () => {
    await withinOneStep();
    const user = await enrolledUser(ctx.server.url);
    // Forget the step spent by the enrollment, so that only the ±1 window decides.
    await sql('update users set totp_last_used_step = null where id = ?', [user.userId]);
    const challengeToken = await challengeFor(ctx.server.url, user.email, user.password);
    expect(await complete(ctx.server.url, challengeToken, codeAt(user.secret, -60))).toMatchObject({
      __typename: 'InvalidMfaCode',
    });
    expect(await complete(ctx.server.url, challengeToken, codeAt(user.secret, -30))).toMatchObject({
      __typename: 'SignInSuccess',
    });
  });

  it('refuses a TOTP step at or before the last accepted one, which the service stores', async () => {
    await withinOneStep();
    const step = Math.floor(Date.now() / 30_000);
    // Enrolled with the previous step's code (step − 1); now sign in with the next step's (step + 1).
    const user = await enrolledUser(ctx.server.url);
    expect((await userRow(user.userId)).totp_last_used_step).toBe(step - 1);
    const challenge = () => challengeFor(ctx.server.url, user.email, user.password);
    expect((await complete(ctx.server.url, await challenge(), codeAt(user.secret, 30))).__typename).toBe(
      'SignInSuccess',
    );
    expect((await userRow(user.userId)).totp_last_used_step).toBe(step + 1);
    // At the last accepted step (a replay), and before it (never used, but older), both refused.
    expect((await complete(ctx.server.url, await challenge(), codeAt(user.secret, 30))).__typename).toBe(
      'InvalidMfaCode',
    );
    expect((await complete(ctx.server.url, await challenge(), codeAt(user.secret))).__typename).toBe(
      'InvalidMfaCode',
    );
    // Nor does a replayed code regenerate recovery codes.
    const auth = bearer(user.accessToken);
    const regenerate = await gql(ctx.server.url, REGENERATE, { code: codeAt(user.secret, 30) }, auth);
    expect(regenerate.body.data?.regenerateRecoveryCodes.__typename).toBe('InvalidMfaCode');
    expect((await userRow(user.userId)).totp_last_used_step).toBe(step + 1);
  });

  it('ends the challenge after five wrong codes, even if the sixth is right', async () => {
    await withinOneStep();
    const user = await enrolledUser(ctx.server.url);
    const challengeToken = await challengeFor(ctx.server.url, user.email, user.password);
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect(await complete(ctx.server.url, challengeToken, wrongCode(user.secret))).toMatchObject({
        __typename: 'InvalidMfaCode',
      });
    }
    const right = codeAt(user.secret);
    expect(await complete(ctx.server.url, challengeToken, right)).toMatchObject({
      __typename: 'InvalidToken',
    });
    expect(await complete(ctx.server.url, challengeToken, user.recoveryCodes[0]!)).toMatchObject({
      __typename: 'InvalidToken',
    });
    // The refused right code was not spent: a new sign-in can still use it.
    const fresh = await challengeFor(ctx.server.url, user.email, user.password);
    expect(await complete(ctx.server.url, fresh, right)).toMatchObject({ __typename: 'SignInSuccess' });
  });

  it('stops guessing across challenges: 100 wrong codes without a success lock the factor check', async () => {
    await withinOneStep();
    const user = await enrolledUser(ctx.server.url);
    // A fresh sign-in lifts the 10-in-a-row lock, never the total: 20 sign-ins × 5 wrong codes.
    for (let round = 0; round < 20; round += 1) {
      const challengeToken = await challengeFor(ctx.server.url, user.email, user.password);
      for (let attempt = 0; attempt < 5; attempt += 1)
        await complete(ctx.server.url, challengeToken, '000000');
    }
    // However long ago: no time window lets guessing start over.
    await sql('update mfa_challenges set created_at = ? where user_id = ?', [new Date(0), user.userId]);
    const challengeToken = await challengeFor(ctx.server.url, user.email, user.password);
    const blocked = await complete(ctx.server.url, challengeToken, codeAt(user.secret));
    expect(blocked.__typename).toBe('InvalidToken');
    expect((await userRow(user.userId)).factor_failures).toBe(100);
  });

  it('accepts a recovery code once, regenerates codes and disables TOTP', async () => {
    await withinOneStep();
    const user = await enrolledUser(ctx.server.url);
    const [first, second] = user.recoveryCodes as [string, string];

    const withRecovery = await complete(
      ctx.server.url,
      await challengeFor(ctx.server.url, user.email, user.password),
      first,
    );
    expect(withRecovery.__typename).toBe('SignInSuccess');
    expect(accessTokenAmr(withRecovery.tokens.accessToken).sort()).toEqual(['mfa', 'pwd', 'recovery-code']);
    const reused = await complete(
      ctx.server.url,
      await challengeFor(ctx.server.url, user.email, user.password),
      first,
    );
    expect(reused.__typename).toBe('InvalidMfaCode');
    // Case, spaces and dashes do not matter.
    const other = await complete(
      ctx.server.url,
      await challengeFor(ctx.server.url, user.email, user.password),
      ` ${second.toUpperCase().replaceAll('-', ' ')} `,
    );
    expect(other.__typename).toBe('SignInSuccess');

    const auth = bearer(other.tokens.accessToken);
    const badRegenerate = await gql(ctx.server.url, REGENERATE, { code: wrongCode(user.secret) }, auth);
    expect(badRegenerate.body.data?.regenerateRecoveryCodes.__typename).toBe('InvalidMfaCode');
    const regenerated = await gql(ctx.server.url, REGENERATE, { code: codeAt(user.secret) }, auth);
    const fresh = regenerated.body.data?.regenerateRecoveryCodes.codes as string[];
    expect(fresh).toHaveLength(10);
    // Earlier codes stop working once new ones are issued.
    expect(
      (await gql(ctx.server.url, DISABLE, { code: user.recoveryCodes[2] }, auth)).body.data?.disableTotp,
    ).toBe(false);
    expect((await gql(ctx.server.url, DISABLE, { code: fresh[0] }, auth)).body.data?.disableTotp).toBe(true);
    expect((await gql(ctx.server.url, ME, {}, auth)).body.data?.me.mfaEnabled).toBe(false);
    const row = await userRow(user.userId);
    expect(row.totp_secret_encrypted).toBeNull();
    const plain = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    expect(plain.body.data?.signIn.__typename).toBe('SignInSuccess');
    expect(accessTokenAmr(plain.body.data?.signIn.tokens.accessToken)).toEqual(['pwd']);
  });

  /** Every row of every table as text (PostgreSQL or SQLite): what a copy of the database holds. */
  async function dumpAllTables(): Promise<string> {
    const connection = ctx.server.app.services.orm.em.fork().getConnection();
    const tables: { name: string }[] =
      backend === 'postgresql'
        ? await connection.execute(
            `select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`,
          )
        : await connection.execute(`select name from sqlite_master where type = 'table'`);
    const rows = await Promise.all(
      tables.map(({ name }) => connection.execute(`select * from "${name}"`) as Promise<unknown[]>),
    );
    return JSON.stringify(rows).toLowerCase();
  }

  it('stores recovery codes only as a keyed hash of the normalised code, bound to the user', async () => {
    await withinOneStep();
    const user = await enrolledUser(ctx.server.url);
    // HMAC-SHA256 of "userId:normalised code" under HKDF(AUTH_SECRET, salt plinto/keyed-hash/v1, info recovery-code).
    const key = Buffer.from(
      hkdfSync('sha256', TEST_AUTH_SECRET, 'plinto/keyed-hash/v1', 'recovery-code', 32),
    );
    const keyed = (userId: string, code: string) =>
      createHmac('sha256', key)
        .update(`${userId}:${code.replaceAll('-', '')}`)
        .digest('hex');
    const stored = await ctx.server.app.services.orm.em
      .fork()
      .getConnection()
      .execute('select code_hash from recovery_codes where user_id = ?', [user.userId]);
    expect(stored.map((r: { code_hash: string }) => r.code_hash).sort()).toEqual(
      user.recoveryCodes.map((code) => keyed(user.userId, code)).sort(),
    );
    // No form of a code is anywhere in the database: as displayed, normalised, or its plain SHA-256.
    const everything = await dumpAllTables();
    for (const code of user.recoveryCodes) {
      const normalised = code.replaceAll('-', '');
      expect(normalised).toMatch(/^[a-z2-9]{12}$/);
      expect(everything).not.toContain(code);
      expect(everything).not.toContain(normalised);
      expect(everything).not.toContain(createHash('sha256').update(normalised).digest('hex'));
    }

    // Bound to its owner: the row of one of this user's codes, moved to another user, matches nothing.
    const other = await enrolledUser(ctx.server.url);
    const [moved, legacy] = user.recoveryCodes as [string, string];
    await sql('update recovery_codes set user_id = ? where code_hash = ?', [
      other.userId,
      keyed(user.userId, moved),
    ]);
    const withMoved = await complete(
      ctx.server.url,
      await challengeFor(ctx.server.url, other.email, other.password),
      moved,
    );
    expect(withMoved.__typename).toBe('InvalidMfaCode');

    // A code stored before the keyed hash (unkeyed SHA-256 of the normalised code) still works, once.
    const em = ctx.server.app.services.orm.em.fork();
    await em.insert(RecoveryCode, {
      id: randomUUID(),
      user: other.userId,
      codeHash: createHash('sha256').update(legacy.replaceAll('-', '')).digest('hex'),
      createdAt: new Date(),
      usedAt: null,
    });
    const challenge = () => challengeFor(ctx.server.url, other.email, other.password);
    expect((await complete(ctx.server.url, await challenge(), legacy)).__typename).toBe('SignInSuccess');
    expect((await complete(ctx.server.url, await challenge(), legacy)).__typename).toBe('InvalidMfaCode');
  });

  it('lets only one of two concurrent uses of a code through', async () => {
    await withinOneStep();
    const user = await enrolledUser(ctx.server.url);
    const tokens = [
      await challengeFor(ctx.server.url, user.email, user.password),
      await challengeFor(ctx.server.url, user.email, user.password),
    ];
    const code = codeAt(user.secret);
    const results = await Promise.all(tokens.map((token) => complete(ctx.server.url, token, code)));
    expect(results.map((r) => r.__typename).sort()).toEqual(['InvalidMfaCode', 'SignInSuccess']);
  });

  it('keeps the second factor when the password hash changes (re-hash and direct update)', async () => {
    await withinOneStep();
    const user = await enrolledUser(ctx.server.url);
    // The import path: a legacy SHA-256 hash, upgraded to bcrypt by the next sign-in.
    const legacy = `sha256:${createHash('sha256').update(user.password, 'utf8').digest('hex')}`;
    await sql('update users set password_hash = ? where id = ?', [legacy, user.userId]);
    await challengeFor(ctx.server.url, user.email, user.password);
    const upgraded = await userRow(user.userId);
    expect(upgraded.password_hash).toMatch(/^\$2[aby]\$/);
    expect(upgraded.totp_enabled_at).toBeTruthy();

    // A new password written straight into the row, as any reset or change would.
    const newPassword = 'a brand new passphrase 99';
    const newHash = await ctx.server.app.services.passwords.hash(newPassword);
    await sql('update users set password_hash = ? where id = ?', [newHash, user.userId]);
    const challengeToken = await challengeFor(ctx.server.url, user.email, newPassword);
    const success = await complete(ctx.server.url, challengeToken, codeAt(user.secret));
    expect(success.__typename).toBe('SignInSuccess');
    expect(success.user.mfaEnabled).toBe(true);
  });

  it('refuses enrollment mutations without a live access token', async () => {
    const user = await signUpUser(ctx.server.url);
    const anonymous = await gql(ctx.server.url, BEGIN);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const disable = await gql(ctx.server.url, DISABLE, { code: '123456' });
    expect(disable.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // Without TOTP on, disabling does nothing and says so.
    expect(
      (await gql(ctx.server.url, DISABLE, { code: '123456' }, bearer(user.accessToken))).body.data,
    ).toEqual({ disableTotp: false });
  });
});

describe('an expired MFA challenge (postgresql)', () => {
  const ctx = useServer('postgresql', { MFA_CHALLENGE_TTL_SECONDS: '1' });

  it('is refused even with a valid code', async () => {
    await withinOneStep();
    const user = await enrolledUser(ctx.server.url);
    const signIn = await gql(ctx.server.url, SIGN_IN, { email: user.email, password: user.password });
    const challenge = signIn.body.data?.signIn;
    expect(challenge.__typename).toBe('MfaChallenge');
    expect(new Date(challenge.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(1000);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await complete(ctx.server.url, challenge.challengeToken, codeAt(user.secret))).toMatchObject({
      __typename: 'InvalidToken',
    });
  });
});
