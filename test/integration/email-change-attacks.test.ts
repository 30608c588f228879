import { describe, expect, it } from 'vitest';
import { User } from '../../src/storage/entities/index.js';
import { bearer, gql, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import type { SignedInUser } from '../helpers/graphql.js';
import { linkIn } from '../helpers/smtp.js';
import { useMailServer } from '../helpers/use-server.js';

/** Attacks on changeEmail's links (security review, session 3). */
const CHANGE = `mutation($e: String!) { changeEmail(newEmail: $e) { __typename } }`;
const LINK_FIELDS = `__typename ... on EmailChanged { email } ... on UserError { code }`;
const CONFIRM = `mutation($t: String!) { confirmEmailChange(token: $t) { ${LINK_FIELDS} } }`;
const UNDO = `mutation($t: String!) { undoEmailChange(token: $t) { ${LINK_FIELDS} } }`;

describe('changeEmail links attacked over HTTP (postgresql)', () => {
  const ctx = useMailServer('postgresql', { SIGNUP_MODE: 'immediate' });
  const url = () => ctx.server.url;
  const fork = () => ctx.server.app.services.orm.em.fork();

  async function requestChange(user: SignedInUser, to: string) {
    const asked = await gql(url(), CHANGE, { e: to }, bearer(user.accessToken));
    expect(asked.body.data?.changeEmail.__typename).toBe('EmailChangeRequested');
    const notice = await ctx.smtp.waitFor(user.email, /change of your email address was requested/);
    const confirmMail = await ctx.smtp.waitFor(to, /Confirm your new email address/);
    return {
      confirmToken: linkIn(confirmMail, '/confirm-email-change').token,
      undoToken: linkIn(notice, '/undo-email-change').token,
    };
  }

  it('a confirmation racing the undo of the same change: both answer, and the old address keeps the account', async () => {
    for (let round = 0; round < 4; round += 1) {
      const user = await signUpUser(url());
      const links = await requestChange(user, uniqueEmail('thief'));
      const [confirmed, undone] = await Promise.all([
        gql(url(), CONFIRM, { t: links.confirmToken }),
        gql(url(), UNDO, { t: links.undoToken }),
      ]);
      expect(confirmed.body.errors, JSON.stringify(confirmed.body)).toBeUndefined();
      expect(undone.body.errors, JSON.stringify(undone.body)).toBeUndefined();
      expect(['EmailChanged', 'InvalidToken']).toContain(confirmed.body.data?.confirmEmailChange.__typename);
      expect(undone.body.data?.undoEmailChange).toEqual({ __typename: 'EmailChanged', email: user.email });
      expect((await fork().findOneOrFail(User, { id: user.userId })).email).toBe(user.email);
    }
  });
});
