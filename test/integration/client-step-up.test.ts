import { describe, expect, it } from 'vitest';
import { PlintoClient } from '../../client/src/index.js';
import type { ReauthenticateRefusal } from '../../client/src/index.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/graphql.js';
import { useServer } from '../helpers/use-server.js';

describe('the typed client’s step-up helper against a real server', () => {
  const ctx = useServer('postgresql');

  /** The signed-in session last authenticated ten minutes ago: past the 300 s step-up limit. */
  async function ageSession(client: PlintoClient): Promise<void> {
    const token = (await client.tokens())!.accessToken;
    const sid = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;
    const at = new Date(Date.now() - 600_000);
    await ctx.server.app.services.orm.em
      .fork()
      .getConnection()
      .execute('update sessions set created_at = ?, authenticated_at = ? where id = ?', [at, at, sid], 'run');
  }

  it('withStepUp asks the user, reauthenticates and retries; a wrong answer is asked again', async () => {
    const client = new PlintoClient({ url: `${ctx.server.url}/graphql` });
    const email = uniqueEmail('client-step-up');
    expect((await client.signUp({ email, password: STRONG_PASSWORD })).__typename).toBe('SignInSuccess');
    await ageSession(client);
    const before = (await client.tokens())!;

    const asked: (ReauthenticateRefusal | null)[] = [];
    const answers = ['not my password at all 7', STRONG_PASSWORD];
    const result = await client.withStepUp(
      () => client.beginTotpEnrollment(),
      async (refusal) => {
        asked.push(refusal);
        return { password: answers.shift()! };
      },
    );
    expect(result).toMatchObject({
      secret: expect.any(String),
      otpauthUri: expect.stringMatching(/^otpauth:/),
    });
    expect(asked.map((refusal) => refusal?.__typename ?? null)).toEqual([null, 'InvalidCredentials']);
    // The new access token is stored; the refresh token stays.
    const after = (await client.tokens())!;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).toBe(before.refreshToken);

    // Cancelled by the user: signOutEverywhere's STEP_UP_REQUIRED error comes back, nothing changed.
    await ageSession(client);
    await expect(
      client.withStepUp(
        () => client.signOutEverywhere(),
        async () => null,
      ),
    ).rejects.toMatchObject({ name: 'PlintoError', code: 'STEP_UP_REQUIRED' });
    expect((await client.me()).email).toBe(email);
  });
});
