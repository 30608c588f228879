import { describe, expect, it } from 'vitest';
import { AuditEvent, OneTimeToken, User } from '../../src/storage/entities/index.js';
import { sha256Hex } from '../../src/security/crypto.js';
import { BACKENDS } from '../helpers/database.js';
import { REQUEST_PASSWORD_RESET, RESET_PASSWORD } from '../helpers/email-documents.js';
import { ME, SIGN_IN, STRONG_PASSWORD, bearer, gql, signUpUser, uniqueEmail } from '../helpers/graphql.js';
import type { SignedInUser } from '../helpers/graphql.js';
import { linkIn } from '../helpers/smtp.js';
import { useMailServer } from '../helpers/use-server.js';

const CHANGE = `mutation($e: String!) { changeEmail(newEmail: $e) {
  __typename ... on EmailChangeRequested { pendingEmail } ... on StepUpRequired { code maxAgeSeconds }
} }`;
const LINK_FIELDS = `__typename ... on EmailChanged { email } ... on UserError { code }`;
const CONFIRM = `mutation($t: String!) { confirmEmailChange(token: $t) { ${LINK_FIELDS} } }`;
const UNDO = `mutation($t: String!) { undoEmailChange(token: $t) { ${LINK_FIELDS} } }`;
const CONFIRM_SUBJECT = /Confirm your new email address/;
const NOTICE_SUBJECT = /change of your email address was requested/;
const IN_USE_SUBJECT = /Someone tried to use your email address/;

describe.each(BACKENDS)('changeEmail over HTTP with real mails (%s)', (backend) => {
  const ctx = useMailServer(backend, { SIGNUP_MODE: 'immediate' });
  const url = () => ctx.server.url;
  const fork = () => ctx.server.app.services.orm.em.fork();

  const signIn = async (email: string, password = STRONG_PASSWORD) =>
    (await gql(url(), SIGN_IN, { email, password })).body.data?.signIn.__typename as string;
  const change = async (user: { accessToken: string }, e: string) =>
    (await gql(url(), CHANGE, { e }, bearer(user.accessToken))).body.data?.changeEmail;
  const confirm = async (t: string) => (await gql(url(), CONFIRM, { t })).body.data?.confirmEmailChange;
  const undo = async (t: string) => (await gql(url(), UNDO, { t })).body.data?.undoEmailChange;

  /** Requests a change and returns the confirm token (mailed to `to`) and the undo token (to the old address). */
  async function requestChange(user: SignedInUser & { current?: string }, to: string) {
    const from = user.current ?? user.email;
    const before = ctx.smtp.mailsTo(from).filter((m) => NOTICE_SUBJECT.test(m.subject)).length;
    expect((await change(user, to)).__typename).toBe('EmailChangeRequested');
    const notices = await ctx.smtp.waitForCount(from, NOTICE_SUBJECT, before + 1);
    const confirmMail = await ctx.smtp.waitFor(to.toLowerCase(), CONFIRM_SUBJECT);
    return {
      confirmToken: linkIn(confirmMail, '/confirm-email-change').token,
      undoToken: linkIn(notices.at(-1)!, '/undo-email-change').token,
    };
  }

  it('changes the address after the mailed confirmation, and the old address undoes it within 7 days', async () => {
    const user = await signUpUser(url());
    const next = uniqueEmail('moved');
    const { confirmToken, undoToken } = await requestChange(user, next);
    // Until confirmed, the old address is the account's and signs in; the new one does not.
    expect(await signIn(user.email)).toBe('SignInSuccess');
    expect(await signIn(next)).toBe('InvalidCredentials');

    expect(await confirm(confirmToken)).toEqual({ __typename: 'EmailChanged', email: next });
    expect(await signIn(next)).toBe('SignInSuccess');
    expect(await signIn(user.email)).toBe('InvalidCredentials');
    expect((await gql(url(), ME, {}, bearer(user.accessToken))).body.data?.me.email).toBe(next);

    // The undo link lives 7 days (plus the confirmation link's lifetime).
    const undoRow = await fork().findOneOrFail(OneTimeToken, { tokenHash: sha256Hex(undoToken) });
    expect(undoRow.expiresAt.getTime() - undoRow.createdAt.getTime()).toBeGreaterThanOrEqual(7 * 86_400_000);

    expect(await undo(undoToken)).toEqual({ __typename: 'EmailChanged', email: user.email });
    // Every session ended; the password is cleared; a set-password link came to the old address.
    expect((await gql(url(), ME, {}, bearer(user.accessToken))).body.errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expect(await signIn(user.email)).toBe('InvalidCredentials');
    expect(await signIn(next)).toBe('InvalidCredentials');
    const reset = linkIn(await ctx.smtp.waitFor(user.email, /Reset your password/), '/reset-password');
    const newPassword = 'a brand new passphrase 77';
    const done = await gql(url(), RESET_PASSWORD, { token: reset.token, newPassword });
    expect(done.body.data?.resetPassword.__typename).toBe('PasswordChanged');
    expect(await signIn(user.email, newPassword)).toBe('SignInSuccess');

    const kinds = (await fork().find(AuditEvent, { userId: user.userId })).map(
      (e) => `${e.kind}:${e.result}`,
    );
    expect(kinds).toEqual(
      expect.arrayContaining([
        'email_change_requested:success',
        'email_change_confirmed:success',
        'email_change_undone:success',
      ]),
    );
  });

  it('answers the same when the new address is taken, in any case or Unicode variant, and mails its owner a notice instead of a link', async () => {
    const owner = await signUpUser(url());
    const user = await signUpUser(url());
    const [local, domain] = owner.email.split('@') as [string, string];
    // Upper case, and a fullwidth "@" that NFKC folds to "@": the same address after normalisation.
    const variants = [owner.email.toUpperCase(), `${local}\uFF20${domain}`];
    const free = await change(user, uniqueEmail('free'));
    for (const variant of variants) {
      const taken = await change(user, variant);
      expect(Object.keys(taken)).toEqual(Object.keys(free));
      expect(taken).toEqual({ __typename: 'EmailChangeRequested', pendingEmail: owner.email });
    }
    await ctx.smtp.waitForCount(owner.email, IN_USE_SUBJECT, 2);
    expect(ctx.smtp.mailsTo(owner.email).some((m) => CONFIRM_SUBJECT.test(m.subject))).toBe(false);
    // No confirmation token was issued for the taken address.
    const row = await fork().findOneOrFail(User, { id: user.userId });
    expect(row.email).toBe(user.email);
    expect(await signIn(owner.email)).toBe('SignInSuccess');
    // Invisible characters are not an address.
    const invisible = await gql(url(), CHANGE, { e: `${local}\u200B@${domain}` }, bearer(user.accessToken));
    expect(invisible.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses replayed, expired and cross-purpose links, and a confirmation once the address was taken', async () => {
    const user = await signUpUser(url());
    const first = await requestChange(user, uniqueEmail('first'));
    // Cross-purpose: an undo token is no confirmation, and a confirmation is no undo.
    expect((await confirm(first.undoToken)).code).toBe('INVALID_TOKEN');
    expect((await undo(first.confirmToken)).code).toBe('INVALID_TOKEN');
    expect((await confirm(first.confirmToken)).__typename).toBe('EmailChanged');
    expect((await confirm(first.confirmToken)).code).toBe('INVALID_TOKEN');

    const current = (await fork().findOneOrFail(User, { id: user.userId })).email;
    const second = await requestChange({ ...user, current }, uniqueEmail('second'));
    await fork().nativeUpdate(
      OneTimeToken,
      { tokenHash: { $in: [sha256Hex(second.confirmToken), sha256Hex(second.undoToken)] } },
      { expiresAt: new Date(Date.now() - 1000) },
    );
    expect((await confirm(second.confirmToken)).code).toBe('INVALID_TOKEN');
    expect((await undo(second.undoToken)).code).toBe('INVALID_TOKEN');

    // Someone else takes the pending address before the link is used: the link cannot move onto it.
    const third = uniqueEmail('third');
    const pending = await requestChange({ ...user, current }, third);
    await signUpUser(url(), third);
    expect((await confirm(pending.confirmToken)).code).toBe('INVALID_TOKEN');
    expect((await fork().findOneOrFail(User, { id: user.userId })).email).toBe(current);
    expect((await undo('x'.repeat(300))).code).toBe('INVALID_TOKEN');
  });

  it('needs step-up', async () => {
    const user = await signUpUser(url());
    const at = fork()
      .getPlatform()
      .processDateProperty(new Date(Date.now() - 3600_000));
    await fork()
      .getConnection()
      .execute(
        'update sessions set authenticated_at = ?, created_at = ? where id = ?',
        [at, at, user.sessionId],
        'run',
      );
    expect(await change(user, uniqueEmail('stale'))).toEqual({
      __typename: 'StepUpRequired',
      code: 'STEP_UP_REQUIRED',
      maxAgeSeconds: 300,
    });
    const anonymous = await gql(url(), CHANGE, { e: uniqueEmail('anon') });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('a stolen session cannot keep the account: the owner’s undo beats later changes, later undo links and a squatter', async () => {
    const owner = await signUpUser(url());
    const thief = { ...owner }; // the stolen session
    const mailboxA = uniqueEmail('thief-a');
    const first = await requestChange(thief, mailboxA);
    expect((await confirm(first.confirmToken)).__typename).toBe('EmailChanged');
    // The thief moves on from mailbox A to B: the undo link of that change goes to A (the thief's).
    const mailboxB = uniqueEmail('thief-b');
    const second = await requestChange({ ...thief, current: mailboxA }, mailboxB);
    expect((await confirm(second.confirmToken)).__typename).toBe('EmailChanged');
    // The thief squats the freed original address with a sign-up of its own (never verified).
    const squatter = await signUpUser(url(), owner.email, 'squatter passphrase 9');
    // The thief "undoes" to A first: the owner's older undo link must survive that.
    expect(await undo(second.undoToken)).toEqual({ __typename: 'EmailChanged', email: mailboxA });

    expect(await undo(first.undoToken)).toEqual({ __typename: 'EmailChanged', email: owner.email });
    const row = await fork().findOneOrFail(User, { id: owner.userId });
    expect(row.email).toBe(owner.email);
    expect(row.passwordHash).toBeNull();
    expect(await fork().findOne(User, { id: squatter.userId })).toBeNull();
    const squatterEvents = await fork().find(AuditEvent, {
      userId: squatter.userId,
      kind: 'account_deleted',
    });
    expect(squatterEvents).toHaveLength(1);
    for (const token of [thief.accessToken, squatter.accessToken]) {
      expect((await gql(url(), ME, {}, bearer(token))).body.errors?.[0]?.extensions?.code).toBe(
        'UNAUTHENTICATED',
      );
    }
    for (const address of [mailboxA, mailboxB, owner.email])
      expect(await signIn(address)).toBe('InvalidCredentials');
    expect(await signIn(owner.email, 'squatter passphrase 9')).toBe('InvalidCredentials');
    // Replays of either undo link do nothing.
    expect((await undo(second.undoToken)).code).toBe('INVALID_TOKEN');
    expect((await undo(first.undoToken)).code).toBe('INVALID_TOKEN');
  });

  it('the thief resetting the password from the new mailbox does not end the owner’s undo link', async () => {
    const owner = await signUpUser(url());
    const mailbox = uniqueEmail('thief');
    const { confirmToken, undoToken } = await requestChange(owner, mailbox);
    expect((await confirm(confirmToken)).__typename).toBe('EmailChanged');
    await gql(url(), REQUEST_PASSWORD_RESET, { email: mailbox });
    const reset = linkIn(await ctx.smtp.waitFor(mailbox, /Reset your password/), '/reset-password');
    const thiefPassword = 'the thief chose this one 31';
    const done = await gql(url(), RESET_PASSWORD, { token: reset.token, newPassword: thiefPassword });
    expect(done.body.data?.resetPassword.__typename).toBe('PasswordChanged');
    expect(await signIn(mailbox, thiefPassword)).toBe('SignInSuccess');

    expect(await undo(undoToken)).toEqual({ __typename: 'EmailChanged', email: owner.email });
    expect(await signIn(mailbox, thiefPassword)).toBe('InvalidCredentials');
    expect(await signIn(owner.email, thiefPassword)).toBe('InvalidCredentials');
  });

  it('a confirmation link moves only the account it was mailed for, whoever presents it', async () => {
    const owner = await signUpUser(url());
    const other = await signUpUser(url());
    const next = uniqueEmail('own');
    const { confirmToken } = await requestChange(owner, next);
    const presented = await gql(url(), CONFIRM, { t: confirmToken }, bearer(other.accessToken));
    expect(presented.body.data?.confirmEmailChange).toEqual({ __typename: 'EmailChanged', email: next });
    expect((await fork().findOneOrFail(User, { id: owner.userId })).email).toBe(next);
    expect((await fork().findOneOrFail(User, { id: other.userId })).email).toBe(other.email);
  });
});
