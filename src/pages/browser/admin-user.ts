import { PlintoError } from '../../../client/src/index.js';
import { describeDevice, describeEvent } from './account-activity.js';
import { askStepUpProof, confirmAction } from './admin-dialogs.js';
import type { ConfirmRequest } from './admin-dialogs.js';
import { DONE } from './admin-api.js';
import type { AdminAction, AdminApi, AdminUserDetail } from './admin-api.js';
import { announce, byId } from './forms.js';

const when = (value: string | null | undefined) => (value ? new Date(value).toLocaleString() : 'never');
const yesNo = (value: boolean, yes = 'Yes', no = 'No') => (value ? yes : no);

/** What each action asks before it runs, for the user with address `email`. */
function confirmation(action: AdminAction, email: string): ConfirmRequest {
  switch (action) {
    case 'disable':
      return {
        title: `Disable ${email}?`,
        text: 'Every session of this account ends at once and its sign-ins fail until it is enabled again.',
        confirmLabel: 'Disable account',
        withReason: true,
      };
    case 'enable':
      return {
        title: `Enable ${email}?`,
        text: 'The owner can sign in again.',
        confirmLabel: 'Enable account',
      };
    case 'unlock':
      return {
        title: `Unlock sign-in for ${email}?`,
        text: 'Clears the lock set after too many failed sign-ins.',
        confirmLabel: 'Unlock sign-in',
      };
    case 'revoke':
      return {
        title: `Sign ${email} out everywhere?`,
        text: 'Every session of this account ends at once, on every device.',
        confirmLabel: 'Sign out everywhere',
      };
    case 'reset-mfa':
      return {
        title: `Reset two-step verification of ${email}?`,
        text: 'Removes the authenticator app and the recovery codes. The owner is told by mail.',
        confirmLabel: 'Reset two-step verification',
      };
    case 'password-reset':
      return {
        title: `Send a password reset link to ${email}?`,
        text: 'The owner gets a mail with a link to choose a new password.',
        confirmLabel: 'Send the link',
      };
    case 'delete':
      return {
        title: `Delete ${email}?`,
        text: 'The account, its address, password, factors and sessions are erased. This cannot be undone.',
        confirmLabel: 'Delete account',
      };
  }
}

/** What the page says once an action is done. */
const DONE_MESSAGES: Record<AdminAction, (email: string) => string> = {
  disable: (email) => `${email} is disabled. Every session of the account has ended.`,
  enable: (email) => `${email} is enabled again.`,
  unlock: (email) => `Sign-in for ${email} is unlocked.`,
  revoke: (email) => `${email} is signed out everywhere.`,
  'reset-mfa': (email) => `Two-step verification of ${email} is reset. The owner has been told by mail.`,
  'password-reset': (email) => `A password reset link is on its way to ${email}.`,
  delete: (email) => `${email} is deleted.`,
};

const BUTTONS: Record<AdminAction, string> = {
  disable: 'action-disable',
  enable: 'action-enable',
  unlock: 'action-unlock',
  revoke: 'action-revoke',
  'reset-mfa': 'action-reset-mfa',
  'password-reset': 'action-password-reset',
  delete: 'action-delete',
};

function listItem(className: string, lines: string[]): HTMLLIElement {
  const item = document.createElement('li');
  item.className = className;
  for (const line of lines) {
    const paragraph = document.createElement('p');
    paragraph.textContent = line;
    item.append(paragraph);
  }
  return item;
}

/** Fills list `id` (or shows its "none" line). */
function fillList(id: string, items: HTMLLIElement[]): void {
  byId(id).replaceChildren(...items);
  byId(`${id}-empty`).hidden = items.length > 0;
}

/** The open user: profile, sessions, passkeys, identities, recent events, and the actions. */
export class UserSection {
  private readonly section = byId('user');
  private current: AdminUserDetail | null = null;
  private running = false;

  constructor(
    private readonly api: AdminApi,
    private readonly failed: (error: unknown) => void,
    /** After an action: the search results show the change too (null: the user is gone). */
    private readonly onChange: (id: string, user: AdminUserDetail | null) => void,
  ) {
    for (const [action, buttonId] of Object.entries(BUTTONS) as [AdminAction, string][]) {
      byId(buttonId).addEventListener('click', () => void this.act(action));
    }
  }

  async open(id: string): Promise<void> {
    try {
      const user = await this.api.user(id);
      if (!user) {
        this.close();
        return announce('That user no longer exists.', { focus: true });
      }
      this.render(user);
      this.section.hidden = false;
      byId('user-title').focus();
      announce(`Showing ${user.email}.`);
    } catch (error) {
      this.failed(error);
    }
  }

  close(): void {
    this.current = null;
    this.section.hidden = true;
  }

  private render(user: AdminUserDetail): void {
    this.current = user;
    byId('user-title').textContent = user.email;
    const rows: [string, string][] = [
      ['Email address', user.email],
      ['Email confirmed', yesNo(user.emailVerified)],
      [
        'Status',
        user.disabled ? `Disabled ${when(user.disabledAt)}: ${user.disabledReason ?? ''}` : 'Active',
      ],
      ['Roles', user.roles.length ? user.roles.join(', ') : 'none'],
      ['Two-step verification', yesNo(user.mfaEnabled, 'On', 'Off')],
      ['Recovery codes left', String(user.recoveryCodesLeft)],
      ['Password', yesNo(user.hasPassword, 'Set', 'None (emailed links only)')],
      ['Display name', user.displayName ?? '—'],
      ['Created', when(user.createdAt)],
      ['Last sign-in', when(user.lastSignInAt)],
      ['User id', user.id],
    ];
    byId('user-profile').replaceChildren(
      ...rows.flatMap(([term, value]) => {
        const dt = document.createElement('dt');
        dt.textContent = term;
        const dd = document.createElement('dd');
        dd.textContent = value;
        return [dt, dd];
      }),
    );
    byId('action-disable').hidden = user.disabled;
    byId('action-enable').hidden = !user.disabled;
    fillList(
      'user-sessions',
      user.sessions.map((s) =>
        listItem('session', [
          describeDevice(s.userAgent),
          `${s.ip ?? 'unknown address'} · since ${when(s.createdAt)} · last active ${when(s.lastUsedAt)}`,
        ]),
      ),
    );
    fillList(
      'user-passkeys',
      user.passkeys.map((p) =>
        listItem('session', [p.name, `added ${when(p.createdAt)} · last used ${when(p.lastUsedAt)}`]),
      ),
    );
    fillList(
      'user-identities',
      user.identities.map((i) =>
        listItem('session', [
          `${i.providerName}${i.email ? ` (${i.email})` : ''}`,
          `linked ${when(i.linkedAt)} · last used ${when(i.lastUsedAt)}`,
        ]),
      ),
    );
    fillList(
      'user-events',
      user.recentEvents.map((e) =>
        listItem('event', [
          describeEvent(e.kind, e.result),
          [when(e.createdAt), e.actor ? `by ${e.actor}` : null, e.detail].filter(Boolean).join(' · '),
        ]),
      ),
    );
  }

  /** Confirm, run (asking for a step-up proof when the API wants one), then show the outcome. */
  private async act(action: AdminAction): Promise<void> {
    const user = this.current;
    if (!user || this.running) return;
    const reason = await confirmAction(confirmation(action, user.email));
    if (reason === null) return announce('Nothing was changed.');
    this.running = true;
    this.section.setAttribute('aria-busy', 'true');
    try {
      const answer = await this.api.client.withStepUp(
        () => this.api.run(action, user.id, reason),
        askStepUpProof,
      );
      if (answer.__typename !== DONE[action]) {
        const message = 'message' in answer && answer.message ? answer.message : 'That did not work.';
        return announce(
          answer.__typename === 'StepUpRequired'
            ? `${message} Confirm it is you with your password or a code, then try again.`
            : message,
          { focus: true },
        );
      }
      if (action === 'delete') {
        this.close();
        this.onChange(user.id, null);
        announce(DONE_MESSAGES[action](user.email), { focus: true });
        return;
      }
      const fresh = await this.api.user(user.id);
      if (fresh) this.render(fresh);
      this.onChange(user.id, fresh);
      announce(DONE_MESSAGES[action](user.email));
      // The button that was pressed may be hidden now (disable <-> enable): keep focus on the pair.
      if (action === 'disable') byId('action-enable').focus();
      if (action === 'enable') byId('action-disable').focus();
    } catch (error) {
      if (error instanceof PlintoError && error.code === 'BAD_USER_INPUT') {
        return announce(error.message, { focus: true });
      }
      this.failed(error);
    } finally {
      this.running = false;
      this.section.removeAttribute('aria-busy');
    }
  }
}
