import { errorSummary, field, statusRegion } from './html.js';

/** A yes/no/any filter of the search (a select, so "any" is a real, labelled choice). */
function triState(id: string, label: string, yes: string, no: string): string {
  return `<div class="field">
<label for="${id}">${label}</label>
<select id="${id}" name="${id}">
<option value="">Any</option>
<option value="true">${yes}</option>
<option value="false">${no}</option>
</select>
</div>`;
}

/**
 * The administration page (issue 21). It renders with no user data at all: the script asks the
 * API, which decides (an admin session with a second factor), and shows the search only then.
 * A signed-out visitor, a non-admin or an admin without a second factor sees a plain explanation.
 */
export function adminView(): string {
  return `${statusRegion()}
<section id="admin-signed-out" class="notice" hidden aria-labelledby="admin-signed-out-title">
<h2 id="admin-signed-out-title">You are signed out</h2>
<p><a href="/sign-in">Sign in</a> with an administrator account to use this page.</p>
</section>
<section id="admin-forbidden" class="notice notice-error" tabindex="-1" hidden aria-labelledby="admin-forbidden-title">
<h2 id="admin-forbidden-title">Not authorised</h2>
<p id="admin-forbidden-reason"></p>
<p><a href="/account">Your account</a></p>
</section>
<div id="admin" hidden>
<section aria-labelledby="search-title">
<h2 id="search-title">Find users</h2>
<form id="search-form" method="post" class="stack" novalidate role="search" aria-labelledby="search-title">
${errorSummary('search-form')}
${field({ id: 'search-query', label: 'Email address starts with', type: 'text', autocomplete: 'off', optional: true, hint: 'For example “alice@” or “bob”. Empty lists everyone.' })}
<div class="filters">
${triState('search-verified', 'Email confirmed', 'Confirmed', 'Not confirmed')}
${triState('search-disabled', 'Account', 'Disabled', 'Active')}
${triState('search-mfa', 'Two-step verification', 'On', 'Off')}
${field({ id: 'search-role', label: 'Role', type: 'text', autocomplete: 'off', optional: true, hint: 'For example “admin”.' })}
</div>
<div class="actions"><button type="submit">Search</button></div>
</form>
<h3 id="results-title" tabindex="-1">Results</h3>
<p id="results-summary" aria-live="polite"></p>
<ul class="results" id="results-list" aria-labelledby="results-title"></ul>
<div class="actions"><button type="button" class="secondary" id="results-more" hidden>Show more users</button></div>
</section>

<section id="user" hidden aria-labelledby="user-title">
<h2 id="user-title" tabindex="-1"></h2>
<dl class="profile" id="user-profile"></dl>

<h3>Actions</h3>
<div class="actions" id="user-actions">
<button type="button" class="danger" id="action-disable">Disable account</button>
<button type="button" id="action-enable">Enable account</button>
<button type="button" class="secondary" id="action-unlock">Unlock sign-in</button>
<button type="button" class="secondary" id="action-revoke">Sign out everywhere</button>
<button type="button" class="secondary" id="action-reset-mfa">Reset two-step verification</button>
<button type="button" class="secondary" id="action-password-reset">Send a password reset link</button>
<button type="button" class="danger" id="action-delete">Delete account</button>
</div>

<h3 id="user-sessions-title">Sessions</h3>
<ul class="sessions" id="user-sessions" aria-labelledby="user-sessions-title"></ul>
<p id="user-sessions-empty" hidden>No live sessions.</p>

<h3 id="user-passkeys-title">Passkeys</h3>
<ul class="sessions" id="user-passkeys" aria-labelledby="user-passkeys-title"></ul>
<p id="user-passkeys-empty" hidden>No passkeys.</p>

<h3 id="user-identities-title">Sign-in providers</h3>
<ul class="sessions" id="user-identities" aria-labelledby="user-identities-title"></ul>
<p id="user-identities-empty" hidden>None linked.</p>

<h3 id="user-events-title">Recent security events</h3>
<ol class="activity" id="user-events" aria-labelledby="user-events-title"></ol>
<p id="user-events-empty" hidden>Nothing yet.</p>
</section>
</div>

<dialog id="confirm-dialog" aria-labelledby="confirm-title" aria-describedby="confirm-text">
<form id="confirm-form" method="dialog" class="stack" novalidate>
<h2 id="confirm-title"></h2>
<p id="confirm-text"></p>
${errorSummary('confirm-form')}
<div id="confirm-reason-field">
${field({ id: 'confirm-reason', label: 'Reason (kept in the audit log)', type: 'text', autocomplete: 'off', hint: 'At most 200 characters.' })}
</div>
<div class="actions">
<button type="submit" class="danger" id="confirm-yes"></button>
<button type="button" class="secondary" id="confirm-cancel">Cancel</button>
</div>
</form>
</dialog>

<dialog id="step-up-dialog" aria-labelledby="step-up-title" aria-describedby="step-up-text">
<form id="step-up-form" method="dialog" class="stack" novalidate>
<h2 id="step-up-title">Confirm it is you</h2>
<p id="step-up-text">This action needs a recent sign-in. Enter your password, or a code from your authenticator app, to continue.</p>
${errorSummary('step-up-form')}
${field({ id: 'step-up-password', label: 'Your password', type: 'password', autocomplete: 'current-password', optional: true })}
${field({ id: 'step-up-code', label: 'Or a code from your authenticator app', autocomplete: 'one-time-code', inputmode: 'numeric', optional: true })}
<div class="actions">
<button type="submit">Continue</button>
<button type="button" class="secondary" id="step-up-cancel">Cancel</button>
</div>
</form>
</dialog>`;
}
