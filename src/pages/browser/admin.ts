import { PlintoError } from '../../../client/src/index.js';
import type { AdminUserFilter } from '../../../client/generated-admin/graphql.js';
import { AdminApi } from './admin-api.js';
import type { AdminUserDetail, AdminUserSummary } from './admin-api.js';
import { UserSection } from './admin-user.js';
import { announce, byId, FormController } from './forms.js';
import { createClient, describeError } from './session.js';

const api = new AdminApi(createClient());
const adminView = byId('admin');
const signedOutView = byId('admin-signed-out');
const forbiddenView = byId('admin-forbidden');
const results = byId<HTMLUListElement>('results-list');
const more = byId<HTMLButtonElement>('results-more');

/** What a refused administrator is told to do, by the API's reason. */
const FORBIDDEN: Record<string, string> = {
  ROLE_REQUIRED: 'Your account is not an administrator. Ask an administrator to give it the admin role.',
  ADMIN_MFA_REQUIRED:
    'Administration needs a session signed in with two-step verification or a passkey. Turn on two-step verification (or add a passkey) on your account page, sign out, then sign in again with it.',
};

/** Hides every admin datum: the page shows only why. */
function lockOut(view: HTMLElement, message: string): void {
  adminView.hidden = true;
  results.replaceChildren();
  user.close();
  signedOutView.hidden = view !== signedOutView;
  forbiddenView.hidden = view !== forbiddenView;
  if (view === forbiddenView) {
    byId('admin-forbidden-reason').textContent = message;
    forbiddenView.focus();
  }
  announce(message);
}

/** A session that ended, a refused role or a missing second factor: the page locks; anything else is said. */
function failed(error: unknown): void {
  if (error instanceof PlintoError && error.code === 'UNAUTHENTICATED') {
    return lockOut(signedOutView, 'You are signed out.');
  }
  if (error instanceof PlintoError && error.code === 'FORBIDDEN') {
    return lockOut(forbiddenView, FORBIDDEN[error.reason ?? ''] ?? error.message);
  }
  announce(describeError(error), { focus: true });
}

const user = new UserSection(api, failed, (id, fresh) => {
  const row = results.querySelector<HTMLLIElement>(`li[data-user-id="${CSS.escape(id)}"]`);
  if (!row) return;
  if (fresh) row.replaceWith(resultRow(fresh));
  else row.remove();
});

function summaryOf(u: AdminUserSummary): string {
  return [
    u.emailVerified ? 'confirmed' : 'not confirmed',
    u.mfaEnabled ? 'two-step on' : 'two-step off',
    u.disabled ? 'disabled' : 'active',
    u.roles.length ? `roles: ${u.roles.join(', ')}` : null,
  ]
    .filter(Boolean)
    .join(' · ');
}

function resultRow(u: AdminUserSummary | AdminUserDetail): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'result';
  item.dataset.userId = u.id;
  const open = document.createElement('button');
  open.type = 'button';
  open.className = 'link';
  open.textContent = u.email;
  open.addEventListener('click', () => void user.open(u.id));
  const details = document.createElement('p');
  details.className = 'details';
  details.textContent = summaryOf(u);
  if (u.disabled) item.classList.add('disabled');
  item.append(open, details);
  return item;
}

let filter: AdminUserFilter = {};
let endCursor: string | null = null;

const triState = (id: string): boolean | null => {
  const value = byId<HTMLSelectElement>(id).value;
  return value === '' ? null : value === 'true';
};

/** Runs the search (from the start, or the next page) and says how many users it found. */
let latestSearch = 0;
async function search(next: boolean): Promise<void> {
  // Only the newest search paints: an earlier one answering late (the first listing, a slow page)
  // must not replace the answer to what the admin asked last.
  const mine = ++latestSearch;
  const page = await api.users(filter, next ? endCursor : null);
  if (mine !== latestSearch) return;
  const rows = page.nodes.map(resultRow);
  if (next) results.append(...rows);
  else results.replaceChildren(...rows);
  endCursor = page.pageInfo.endCursor ?? null;
  more.hidden = !page.pageInfo.hasNextPage;
  const shown = results.children.length;
  const text =
    shown === 0
      ? 'No users match.'
      : `${shown} ${shown === 1 ? 'user' : 'users'} shown${page.pageInfo.hasNextPage ? ', more match' : ''}.`;
  byId('results-summary').textContent = text;
}

const searchForm = new FormController('search-form');
searchForm.onSubmit(async () => {
  const query = searchForm.value('search-query').trim();
  const role = searchForm.value('search-role').trim();
  filter = {
    query: query || null,
    role: role || null,
    verified: triState('search-verified'),
    disabled: triState('search-disabled'),
    hasMfa: triState('search-mfa'),
  };
  try {
    searchForm.clear();
    await search(false);
  } catch (error) {
    if (error instanceof PlintoError && error.code === 'BAD_USER_INPUT') {
      return searchForm.showProblems([{ message: error.message }]);
    }
    failed(error);
  }
});

more.addEventListener('click', () => {
  const before = results.children.length;
  void search(true).then(
    // Focus goes to the first new row: the keyboard user carries on where the list grew.
    () => results.children[before]?.querySelector('button')?.focus(),
    failed,
  );
});

async function load(): Promise<void> {
  announce('Loading…');
  try {
    // The refresh cookie (HttpOnly, sent only to /graphql) is the page's proof of a session.
    if (!(await api.client.refresh())) return lockOut(signedOutView, 'You are signed out.');
    // The first page is also the check: the API refuses a non-admin or an admin without a second factor.
    await search(false);
    signedOutView.hidden = true;
    forbiddenView.hidden = true;
    adminView.hidden = false;
    announce('Administration: search for a user by email address.');
  } catch (error) {
    failed(error);
  }
}

void load();
