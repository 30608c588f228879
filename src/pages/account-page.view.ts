import { errorSummary, field, statusRegion } from './html.js';

/**
 * The account page: profile, sessions, recent security activity, password change and two-step
 * verification. It renders
 * signed out; the script asks the API (refresh cookie -> access token) and fills it in.
 */
export function accountView(): string {
  return `${statusRegion()}
<section id="signed-out" class="notice" hidden aria-labelledby="signed-out-title">
<h2 id="signed-out-title">You are signed out</h2>
<p><a href="/sign-in">Sign in</a> to see your account.</p>
</section>
<div id="account" hidden>
<section aria-labelledby="profile-title">
<h2 id="profile-title">Profile</h2>
<dl class="profile">
<dt>Email address</dt><dd id="profile-email"></dd>
<dt>Email confirmed</dt><dd id="profile-verified"></dd>
<dt>Two-step verification</dt><dd id="profile-mfa"></dd>
</dl>
<div class="actions"><button type="button" class="secondary" id="sign-out">Sign out</button></div>
</section>

<section aria-labelledby="sessions-title">
<h2 id="sessions-title">Where you are signed in</h2>
<p>Sign out any device you do not recognise, then change your password.</p>
<ul class="sessions" id="sessions-list"></ul>
</section>

<section aria-labelledby="activity-title">
<h2 id="activity-title">Recent security activity</h2>
<p>Sign-ins, sign-outs and changes to your password or two-step verification, newest first. If you do not recognise one, sign out that device and change your password.</p>
<ol class="activity" id="activity-list"></ol>
<p id="activity-empty" hidden>Nothing yet.</p>
<div class="actions"><button type="button" class="secondary" id="activity-more" hidden>Show older activity</button></div>
</section>

<section id="identities" aria-labelledby="identities-title" hidden>
<h2 id="identities-title">Sign-in providers</h2>
<p>Accounts at other providers that can sign you in here.</p>
<ul class="identities" id="identities-list"></ul>
<p id="identities-empty" hidden>None linked yet.</p>
<div class="actions" id="identities-link"></div>
</section>

<section aria-labelledby="change-password-title">
<h2 id="change-password-title">Change your password</h2>
<form id="change-password-form" method="post" class="stack" novalidate>
${errorSummary('change-password-form')}
${field({
  id: 'change-password-current',
  label: 'Current password',
  type: 'password',
  autocomplete: 'current-password',
  hint: 'Leave it empty if you have no password yet (you signed in with an emailed link).',
})}
${field({
  id: 'change-password-new',
  label: 'New password',
  type: 'password',
  autocomplete: 'new-password',
  hint: 'At least 8 characters. Common passwords are refused.',
})}
<div class="checkbox">
<input type="checkbox" id="change-password-others" name="change-password-others" checked>
<label for="change-password-others">Sign out my other devices</label>
</div>
<div class="actions"><button type="submit">Change password</button></div>
</form>
</section>

<section aria-labelledby="passkeys-title">
<h2 id="passkeys-title" tabindex="-1">Passkeys</h2>
<p>Sign in with your fingerprint, face or device PIN instead of a password. A passkey that checks it is you also counts as two-step verification.</p>
<ul class="sessions" id="passkeys-list"></ul>
<p id="passkeys-empty" hidden>No passkeys yet.</p>
<p id="passkeys-unsupported" hidden>This browser cannot make passkeys.</p>
<form id="passkey-add-form" method="post" class="stack" novalidate>
${errorSummary('passkey-add-form')}
${field({ id: 'passkey-name', label: 'Name for the new passkey', autocomplete: 'off', optional: true, hint: 'For example “Work laptop”. Optional.' })}
<div class="actions"><button type="submit" id="passkey-add">Add a passkey</button></div>
</form>
</section>

<section aria-labelledby="totp-title">
<h2 id="totp-title">Two-step verification</h2>
<section id="recovery-codes" class="notice" tabindex="-1" hidden aria-labelledby="recovery-codes-title">
<h3 id="recovery-codes-title">Your recovery codes</h3>
<p>Each code signs you in once if you lose your phone. Save them somewhere safe now: they are not shown again.</p>
<ol class="codes" id="recovery-codes-list"></ol>
</section>
<div id="totp-off" hidden>
<p>Ask for a code from an authenticator app (such as Aegis, Google Authenticator or 1Password) whenever you sign in.</p>
<div class="actions"><button type="button" id="totp-begin">Set up an authenticator app</button></div>
<form id="totp-confirm-form" method="post" class="stack" novalidate hidden aria-labelledby="totp-confirm-title">
<h3 id="totp-confirm-title" tabindex="-1">Scan this code with your authenticator app</h3>
${errorSummary('totp-confirm-form')}
<div class="qr" id="totp-qr"></div>
<p>Cannot scan it? Enter this key in the app instead:</p>
<p><code class="secret" id="totp-secret"></code></p>
${field({ id: 'totp-confirm-code', label: 'Code from the app', autocomplete: 'one-time-code', inputmode: 'numeric', hint: 'The 6 digits the app shows now.' })}
<div class="actions"><button type="submit">Turn on two-step verification</button></div>
</form>
</div>
<div id="totp-on" hidden>
<p>Two-step verification is on. Signing in asks for a code from your authenticator app.</p>
<form id="recovery-form" method="post" class="stack" novalidate aria-labelledby="recovery-form-title">
<h3 id="recovery-form-title">New recovery codes</h3>
${errorSummary('recovery-form')}
${field({ id: 'recovery-code', label: 'Code from the app', autocomplete: 'one-time-code', inputmode: 'numeric' })}
<div class="actions"><button type="submit">Make new recovery codes</button></div>
</form>
<form id="totp-disable-form" method="post" class="stack" novalidate aria-labelledby="totp-disable-title">
<h3 id="totp-disable-title">Turn off two-step verification</h3>
${errorSummary('totp-disable-form')}
${field({ id: 'totp-disable-code', label: 'Code from the app or a recovery code', autocomplete: 'one-time-code' })}
<div class="actions"><button type="submit" class="danger">Turn off</button></div>
</form>
</div>
</section>
</div>`;
}
