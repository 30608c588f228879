import { errorSummary, escapeHtml, field, secondFactorForm, statusRegion, withRedirect } from './html.js';

/**
 * The bodies of the sign-up, sign-in and email-link pages. `redirect` is the already validated
 * return address (or null); tokens from email links are never rendered: the page script reads
 * them from the address bar.
 */

export interface ViewContext {
  redirect: string | null;
  /**
   * A legacy `?token=` query parameter was present (links mailed before 0.2): render the landing
   * variant of an email-link page at once. Current links carry the token in the fragment instead.
   */
  hasToken: boolean;
}

const href = (path: string, redirect: string | null) => escapeHtml(withRedirect(path, redirect));

/** Social sign-in buttons (issue 20): filled by the page script from socialProviders, hidden when there are none. */
const SOCIAL_BUTTONS = `<section id="social-buttons" class="social-buttons" hidden aria-label="Other ways to sign in">
<div class="actions" id="social-buttons-list"></div>
<p class="separator">or with your email address</p>
</section>`;

const EMAIL_FIELD = (id: string) =>
  field({ id, label: 'Email address', type: 'email', autocomplete: 'email' });

export function signUpView({ redirect }: ViewContext): string {
  return `<p>Already have an account? <a href="${href('/sign-in', redirect)}">Sign in</a>.</p>
${SOCIAL_BUTTONS}
<form id="sign-up-form" method="post" class="stack" novalidate>
${errorSummary('sign-up-form')}
${EMAIL_FIELD('sign-up-email')}
${field({
  id: 'sign-up-password',
  label: 'Password',
  type: 'password',
  autocomplete: 'new-password',
  hint: 'At least 8 characters. Common passwords are refused.',
})}
<div class="actions"><button type="submit">Create account</button></div>
</form>
${statusRegion()}`;
}

export function signInView({ redirect }: ViewContext): string {
  // `webauthn` in the email field's autocomplete: browsers offer saved passkeys in its autofill
  // (conditional UI); the passkey button is shown by the script where WebAuthn exists.
  return `${SOCIAL_BUTTONS}
<form id="sign-in-form" method="post" class="stack" novalidate>
${errorSummary('sign-in-form')}
${field({ id: 'sign-in-email', label: 'Email address', type: 'email', autocomplete: 'username webauthn' })}
${field({ id: 'sign-in-password', label: 'Password', type: 'password', autocomplete: 'current-password' })}
<div class="actions"><button type="submit">Sign in</button></div>
<div class="actions" id="passkey-sign-in-actions" hidden><button type="button" class="secondary" id="passkey-sign-in">Sign in with a passkey</button></div>
</form>
<div id="verify-again" class="notice" hidden>
<p>Did not get the verification email, or did the link expire?</p>
<button type="button" class="secondary" id="verify-again-button">Send a new verification email</button>
</div>
${secondFactorForm()}
${statusRegion()}
<ul class="links">
<li><a href="/reset-password">Forgot your password?</a></li>
<li><a href="${href('/magic-link', redirect)}">Email me a sign-in link instead</a></li>
<li><a href="${href('/sign-up', redirect)}">Create an account</a></li>
</ul>`;
}

/**
 * An email-link page holds both of its variants: the landing of a link (spends the token) and the
 * "send me a new link" form. The token travels in the fragment (`#token=`), which never reaches the
 * server, so the page script shows the landing when it finds one; a legacy `?token=` link (sent before
 * 0.2, still honoured for one release) is rendered as a landing here already.
 */
function emailLinkPage(
  id: string,
  hasToken: boolean,
  landing: { title: string; html: string },
  request: { title: string; html: string },
): string {
  return `<div id="${id}-landing" data-title="${escapeHtml(landing.title)}"${hasToken ? '' : ' hidden'}>
${landing.html}
</div>
<div id="${id}-request" data-title="${escapeHtml(request.title)}"${hasToken ? ' hidden' : ''}>
${request.html}
</div>
${statusRegion()}`;
}

export const EMAIL_LINK_TITLES = {
  verifyEmail: { landing: 'Confirm your email address', request: 'Send a new verification link' },
  resetPassword: { landing: 'Choose a new password', request: 'Reset your password' },
  magicLink: { landing: 'Sign in with your email link', request: 'Sign in with an email link' },
} as const;

export function verifyEmailView({ hasToken }: ViewContext): string {
  const titles = EMAIL_LINK_TITLES.verifyEmail;
  return emailLinkPage(
    'verify-email',
    hasToken,
    {
      title: titles.landing,
      html: `<form id="verify-email-form" method="post" class="stack" novalidate>
${errorSummary('verify-email-form')}
<p>Confirm your email address to finish setting up your account. You will be signed in.</p>
<div class="actions"><button type="submit">Confirm my email address</button></div>
</form>
${secondFactorForm()}
<p class="links" id="verify-email-retry" hidden><a href="/verify-email">Send a new verification link</a></p>`,
    },
    {
      title: titles.request,
      html: `<p>Enter your email address and we will send you a new link to confirm it.</p>
<form id="request-verification-form" method="post" class="stack" novalidate>
${errorSummary('request-verification-form')}
${EMAIL_FIELD('request-verification-email')}
<div class="actions"><button type="submit">Send the link</button></div>
</form>`,
    },
  );
}

export function resetPasswordView({ hasToken }: ViewContext): string {
  const titles = EMAIL_LINK_TITLES.resetPassword;
  return emailLinkPage(
    'reset-password',
    hasToken,
    {
      title: titles.landing,
      html: `<p>Choose a new password. Every device signed in to your account will be signed out.</p>
<form id="reset-password-form" method="post" class="stack" novalidate>
${errorSummary('reset-password-form')}
${field({
  id: 'reset-password-new',
  label: 'New password',
  type: 'password',
  autocomplete: 'new-password',
  hint: 'At least 8 characters. Common passwords are refused.',
})}
${field({ id: 'reset-password-confirm', label: 'Repeat the new password', type: 'password', autocomplete: 'new-password' })}
<div class="actions"><button type="submit">Set new password</button></div>
</form>
<p class="links" id="reset-password-next" hidden><a href="/sign-in">Sign in with your new password</a></p>
<p class="links" id="reset-password-retry" hidden><a href="/reset-password">Ask for a new reset link</a></p>`,
    },
    {
      title: titles.request,
      html: `<p>Enter the email address of your account and we will send you a link to choose a new password.</p>
<form id="request-reset-form" method="post" class="stack" novalidate>
${errorSummary('request-reset-form')}
${EMAIL_FIELD('request-reset-email')}
<div class="actions"><button type="submit">Send the link</button></div>
</form>`,
    },
  );
}

export function magicLinkView({ hasToken, redirect }: ViewContext): string {
  const titles = EMAIL_LINK_TITLES.magicLink;
  return emailLinkPage(
    'magic-link',
    hasToken,
    {
      title: titles.landing,
      html: `<form id="magic-link-form" method="post" class="stack" novalidate>
${errorSummary('magic-link-form')}
<p>Sign in with the link from your email.</p>
<div class="actions"><button type="submit">Sign in</button></div>
</form>
${secondFactorForm()}
<p class="links" id="magic-link-retry" hidden><a href="/magic-link">Send a new sign-in link</a></p>`,
    },
    {
      title: titles.request,
      html: `<p>We will email you a link that signs you in without your password.</p>
<form id="request-magic-link-form" method="post" class="stack" novalidate>
${errorSummary('request-magic-link-form')}
${EMAIL_FIELD('request-magic-link-email')}
<div class="actions"><button type="submit">Email me a link</button></div>
</form>
<p class="links"><a href="${href('/sign-in', redirect)}">Sign in with your password instead</a></p>`,
    },
  );
}
