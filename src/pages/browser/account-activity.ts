import type { AuditLogQuery, PlintoClient } from '../../../client/src/index.js';
import { announce, byId } from './forms.js';

type AuditEvent = AuditLogQuery['auditLog']['edges'][number]['node'];

/** Events per request: the newest page first, then one more page per "show more". */
const PAGE_SIZE = 20;

/** What each event means, in the user's words (`kind:result`, as the API records them). */
const DESCRIPTIONS: Record<string, string> = {
  'sign_up:success': 'Account created',
  'sign_in:success': 'Signed in with your password',
  'sign_in:failure': 'Failed sign-in: wrong password',
  'sign_in:rejected': 'Sign-in refused: email address not confirmed yet',
  'sign_in:challenge': 'Password accepted, two-step code asked for',
  'magic_link:success': 'Signed in with an email link',
  'magic_link:challenge': 'Email link accepted, two-step code asked for',
  'mfa:success': 'Signed in with two-step verification',
  'mfa:failure': 'Wrong two-step verification code',
  'mfa:rejected': 'Two-step code refused: too many attempts, or the sign-in had expired',
  'recovery_code_used:success': 'A recovery code was used',
  'sign_out:success': 'Signed out',
  'session_revoked:success': 'A device was signed out from your account',
  'refresh_grace:success': 'A sign-in was renewed twice at once by the same device (a retry)',
  'refresh_reuse_detected:detected': 'An old sign-in token was used again: that session was ended',
  'password_changed:success': 'Password changed',
  'password_changed:failure': 'Password change failed: wrong current password',
  'password_reset:success': 'Password reset with an email link',
  'email_verified:success': 'Email address confirmed',
  'email_verified:challenge': 'Email address confirmed, two-step code asked for',
  'mfa_enabled:success': 'Two-step verification turned on',
  'mfa_enabled:failure': 'Two-step verification not turned on: wrong code',
  'mfa_disabled:success': 'Two-step verification turned off',
  'mfa_disabled:failure': 'Two-step verification not turned off: wrong code',
  'reauthenticate:success': 'Identity confirmed again for a sensitive change',
  'reauthenticate:failure': 'Identity confirmation failed: wrong password or code',
  'reauthenticate:rejected': 'Identity confirmation refused: too many attempts',
  'passkey_added:success': 'Passkey added',
  'passkey_added:failure': 'Passkey not added: the authenticator’s answer was refused',
  'passkey_removed:success': 'Passkey removed',
  'passkey_removed:rejected': 'Passkey not removed: it is the last way to sign in',
  'passkey_sign_in:success': 'Signed in with a passkey',
  'passkey_sign_in:failure': 'Failed sign-in with a passkey',
  'passkey_sign_in:rejected': 'Passkey sign-in refused',
  'passkey_sign_in:challenge': 'Passkey accepted, two-step code asked for',
  'passkey_clone_detected:detected':
    'A passkey’s signature counter went backwards (a copied key?): sign-in refused',
  'social_sign_in:success': 'Signed in with a linked account (Google, GitHub, …)',
  'social_sign_in:challenge': 'Linked account accepted, two-step code asked for',
  'social_sign_in:failure': 'Failed sign-in with a linked account',
  'social_sign_in:rejected': 'Sign-in with another account refused: link it from your account page first',
  'identity_linked:success': 'A sign-in account (Google, GitHub, …) was linked',
  'identity_unlinked:success': 'A sign-in account (Google, GitHub, …) was unlinked',
};

/** Results that deserve a second look from the owner of the account. */
const ATTENTION = new Set(['failure', 'rejected', 'detected']);

export function describeEvent(kind: string, result: string): string {
  const known = DESCRIPTIONS[`${kind}:${result}`];
  if (known) return known;
  // A kind this page does not know yet (a newer server): still said, never hidden.
  const words = kind.replace(/_/g, ' ');
  return `${words.charAt(0).toUpperCase()}${words.slice(1)} (${result})`;
}

/** The user agent as the client sent it, cut short: it is whatever the other side chose to say. */
export function describeDevice(userAgent: string | null): string {
  return userAgent ? userAgent.slice(0, 120) : 'Unknown device';
}

/** "Recent security activity" on the account page: the audit trail, newest first, a page at a time. */
export class ActivitySection {
  private readonly list = byId<HTMLOListElement>('activity-list');
  private readonly more = byId<HTMLButtonElement>('activity-more');
  private endCursor: string | null = null;
  private currentSessionId: string | null = null;

  constructor(
    private readonly client: PlintoClient,
    private readonly failed: (error: unknown) => void,
  ) {
    this.more.addEventListener('click', () => void this.showMore());
  }

  /** The first page again (after load, or after an action that wrote a new event). */
  async reload(currentSessionId: string | null = this.currentSessionId): Promise<void> {
    this.currentSessionId = currentSessionId;
    const page = await this.client.auditLog(PAGE_SIZE);
    this.list.replaceChildren(...page.edges.map((edge) => this.item(edge.node)));
    byId('activity-empty').hidden = page.edges.length > 0;
    this.follow(page.pageInfo);
  }

  private async showMore(): Promise<void> {
    if (this.endCursor === null) return;
    this.more.disabled = true;
    try {
      const page = await this.client.auditLog(PAGE_SIZE, this.endCursor);
      const items = page.edges.map((edge) => this.item(edge.node));
      this.list.append(...items);
      this.follow(page.pageInfo);
      announce(`${items.length} older ${items.length === 1 ? 'event' : 'events'} shown.`);
      // Focus goes to the first new event, where reading continues (the button may now be hidden).
      const first = items[0];
      if (first) {
        first.tabIndex = -1;
        first.focus();
      }
    } catch (error) {
      this.failed(error);
    } finally {
      this.more.disabled = false;
    }
  }

  private follow(pageInfo: AuditLogQuery['auditLog']['pageInfo']): void {
    this.endCursor = pageInfo.hasNextPage ? pageInfo.endCursor : null;
    this.more.hidden = this.endCursor === null;
  }

  /** Every value goes in as text: ip and user agent come from whoever made the request. */
  private item(event: AuditEvent): HTMLLIElement {
    const item = document.createElement('li');
    item.className = ATTENTION.has(event.result) ? 'event attention' : 'event';
    item.dataset.eventId = event.id;
    item.dataset.kind = event.kind;
    item.dataset.result = event.result;
    const what = document.createElement('p');
    what.className = 'what';
    what.textContent = describeEvent(event.kind, event.result);
    const when = document.createElement('time');
    when.dateTime = event.createdAt;
    when.textContent = new Date(event.createdAt).toLocaleString();
    const details = document.createElement('p');
    details.className = 'details';
    details.append(when, ` · ${event.ip ?? 'unknown address'} · ${describeDevice(event.userAgent)}`);
    item.append(what, details);
    if (event.sessionId !== null && event.sessionId === this.currentSessionId) {
      const current = document.createElement('p');
      current.className = 'current';
      current.textContent = 'This session';
      item.append(current);
    }
    return item;
  }
}
