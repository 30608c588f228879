import type { MeQuery, SessionsQuery } from '../../../client/src/index.js';
import { PlintoError } from '../../../client/src/index.js';
import { announce, byId, FormController, requireValue } from './forms.js';
import type { FormProblem } from './forms.js';
import { ActivitySection, describeDevice } from './account-activity.js';
import { TotpSection } from './account-totp.js';
import { PasskeysSection } from './account-passkeys.js';
import { IdentitiesSection } from './account-identities.js';
import { createClient, describeError } from './session.js';

const client = createClient();
const accountView = byId('account');
const signedOutView = byId('signed-out');

/** Focus moves to the message after an action; on page load it stays where the browser put it. */
function showSignedOut(message: string, focus = true): void {
  accountView.hidden = true;
  signedOutView.hidden = false;
  announce(message, { focus });
}

/** A revoked or expired session shows as signed out; anything else is said as it is. */
function failed(error: unknown, form?: FormController): void {
  if (error instanceof PlintoError && error.code === 'UNAUTHENTICATED')
    return showSignedOut('You are signed out: this session has ended.');
  if (form) form.showProblems([{ message: describeError(error) }]);
  else announce(describeError(error));
}

function renderProfile(me: MeQuery['me']): void {
  byId('profile-email').textContent = me.email;
  byId('profile-verified').textContent = me.emailVerified ? 'Yes' : 'Not yet';
  byId('profile-mfa').textContent = me.mfaEnabled ? 'On' : 'Off';
  totp.render(me.mfaEnabled);
}

function renderSessions(sessions: SessionsQuery['sessions']): void {
  const list = byId<HTMLUListElement>('sessions-list');
  list.replaceChildren(
    ...sessions.map((session) => {
      const item = document.createElement('li');
      item.className = 'session';
      item.dataset.sessionId = session.id;
      const device = document.createElement('p');
      device.className = 'device';
      device.textContent = describeDevice(session.userAgent);
      const details = document.createElement('p');
      details.className = 'details';
      const lastUsed = new Date(session.lastUsedAt).toLocaleString();
      details.textContent = `${session.ip ?? 'unknown address'} · last active ${lastUsed}`;
      item.append(device, details);
      if (session.current) {
        const current = document.createElement('p');
        current.className = 'current';
        current.textContent = 'This device';
        item.append(current);
      } else {
        const revoke = document.createElement('button');
        revoke.type = 'button';
        revoke.className = 'secondary';
        revoke.textContent = 'Sign out this device';
        // The visible text is the same on every row: the accessible name says which device.
        revoke.setAttribute(
          'aria-label',
          `Sign out ${describeDevice(session.userAgent)}, last active ${lastUsed}`,
        );
        revoke.addEventListener('click', () => void revokeSession(session.id));
        item.append(revoke);
      }
      return item;
    }),
  );
}

/** Sessions and activity together: every action on them also writes a new event. */
async function refreshSessions(): Promise<void> {
  const [sessions] = await Promise.all([client.sessions(), activity.reload()]);
  renderSessions(sessions);
}

async function revokeSession(id: string): Promise<void> {
  try {
    const revoked = await client.revokeSession(id);
    await refreshSessions();
    announce(revoked ? 'That device has been signed out.' : 'That device was already signed out.');
    byId('sessions-title').focus();
  } catch (error) {
    failed(error);
  }
}

const totp = new TotpSection(client, failed, (enabled) => {
  byId('profile-mfa').textContent = enabled ? 'On' : 'Off';
  void activity.reload().catch((error: unknown) => failed(error));
});

const activity = new ActivitySection(client, failed);

const passkeys = new PasskeysSection(client, failed, () => {
  void activity.reload().catch((error: unknown) => failed(error));
});

const changePassword = new FormController('change-password-form');
changePassword.onSubmit(async () => {
  const current = changePassword.value('change-password-current');
  const next = changePassword.value('change-password-new');
  const others = byId<HTMLInputElement>('change-password-others').checked;
  const problems: FormProblem[] = [];
  // No current password is a valid answer: an account that has none (it signed in by emailed link,
  // or its first mailbox proof cleared an unproven sign-up password) sets its first one here.
  requireValue('change-password-new', next, 'Choose a new password.', problems);
  if (problems.length) return changePassword.showProblems(problems);
  try {
    const result = await client.changePassword(current, next, others);
    switch (result.__typename) {
      case 'PasswordChanged': {
        changePassword.clear();
        changePassword.form.reset();
        await refreshSessions();
        const count = result.signedOutSessions;
        return announce(
          `Your password has been changed.${count > 0 ? ` ${count} other ${count === 1 ? 'device was' : 'devices were'} signed out.` : ''}`,
          { focus: true },
        );
      }
      case 'InvalidCredentials':
        return changePassword.showProblems([{ field: 'change-password-current', message: result.message }]);
      case 'PasswordRejected':
        return changePassword.showProblems([{ field: 'change-password-new', message: result.message }]);
      case 'StepUpRequired':
        // The session signed in too long ago: the message asks the user to sign in again.
        return changePassword.showProblems([{ field: 'change-password-current', message: result.message }]);
    }
  } catch (error) {
    failed(error, changePassword);
  }
});

byId('sign-out').addEventListener('click', () => {
  void client.signOut().then(
    () => showSignedOut('You have signed out.'),
    (error: unknown) => failed(error),
  );
});

const identities = new IdentitiesSection(client, (error) => failed(error));

async function load(): Promise<void> {
  announce('Loading your account…');
  try {
    // The refresh cookie (HttpOnly, sent only to /graphql) is the page's proof of a session.
    if (!(await client.refresh())) return showSignedOut('You are signed out.', false);
    const [me, sessions] = await Promise.all([client.me(), client.sessions()]);
    renderProfile(me);
    renderSessions(sessions);
    await Promise.all([
      activity.reload(sessions.find((session) => session.current)?.id ?? null),
      passkeys.reload(),
      identities.reload(),
    ]);
    signedOutView.hidden = true;
    accountView.hidden = false;
    announce(`Signed in as ${me.email}.`);
    await identities.finishReturn();
  } catch (error) {
    failed(error);
  }
}

void load();
