import { describe, expect, it } from 'vitest';
import { Identity, User } from '../../src/storage/entities/index.js';
import { bearer, gql, SIGN_IN_SUCCESS_FIELDS, signUpUser } from '../helpers/graphql.js';
import { linkIn } from '../helpers/smtp.js';
import { useMailServer } from '../helpers/use-server.js';

/** Attacks on the identities of an account (security review, session 3). */
const UNLINK = `mutation($id: ID!) { unlinkIdentity(id: $id) { __typename } }`;

describe('identities attacked over HTTP (postgresql)', () => {
  const ctx = useMailServer('postgresql', { SIGNUP_MODE: 'immediate' });
  const fork = () => ctx.server.app.services.orm.em.fork();
  const url = () => ctx.server.url;

  /** An account without a password and with two linked identities, signed in just now (magic link). */
  async function passwordlessWithTwoIdentities(): Promise<{ userId: string; token: string; ids: string[] }> {
    const user = await signUpUser(url());
    const em = fork();
    await em.nativeUpdate(User, { id: user.userId }, { passwordHash: null, emailVerifiedAt: new Date() });
    const ids: string[] = [];
    for (const subject of ['first', 'second']) {
      const row = em.create(Identity, {
        user: user.userId,
        provider: 'local',
        subject: `${subject}-${user.userId}`,
      });
      await em.persistAndFlush(row);
      ids.push(row.id);
    }
    await gql(url(), `mutation($e: String!) { requestMagicLink(email: $e) }`, { e: user.email });
    const link = linkIn(await ctx.smtp.waitFor(user.email, /sign-in link/), '/magic-link');
    const signedIn = await gql(
      url(),
      `mutation($t: String!) { signInWithMagicLink(token: $t) { ${SIGN_IN_SUCCESS_FIELDS} } }`,
      { t: link.token },
    );
    return { userId: user.userId, token: signedIn.body.data?.signInWithMagicLink.tokens.accessToken, ids };
  }

  it('two unlinks at once of the two identities of a passwordless account leave one way to sign in', async () => {
    for (let round = 0; round < 3; round += 1) {
      const account = await passwordlessWithTwoIdentities();
      const answers = await Promise.all(
        account.ids.map((id) => gql(url(), UNLINK, { id }, bearer(account.token))),
      );
      expect(answers.map((a) => a.body.data?.unlinkIdentity.__typename).sort()).toEqual([
        'IdentityUnlinked',
        'LastSignInMethod',
      ]);
      expect(await fork().count(Identity, { user: account.userId })).toBe(1);
    }
  });
});
