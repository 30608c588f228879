import { escapeHtml } from '../mail/templates.js';

/**
 * Server-side HTML of the hosted pages. Every dynamic value goes through escapeHtml; pages carry
 * no inline script or style (the CSP forbids both): behaviour comes from /assets/<page>.js.
 */

export { escapeHtml };

export interface PageShell {
  title: string;
  /** Name of the bundle under /assets (without .js). */
  script: string;
  main: string;
  /** Origins a `redirect` may go to; the page script checks the parameter against them again. */
  redirectOrigins: readonly string[];
}

export function layout(page: PageShell): string {
  const origins = escapeHtml(page.redirectOrigins.join(' '));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(page.title)} · Plinto</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/pages.css">
<script type="module" src="/assets/${escapeHtml(page.script)}.js"></script>
</head>
<body data-redirect-origins="${origins}">
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
<a class="brand" href="/sign-in">Plinto</a>
<nav aria-label="Account">
<ul>
<li><a href="/sign-in">Sign in</a></li>
<li><a href="/sign-up">Create account</a></li>
<li><a href="/account">Your account</a></li>
</ul>
</nav>
</header>
<main id="main" tabindex="-1">
<h1>${escapeHtml(page.title)}</h1>
${page.main}
</main>
</body>
</html>
`;
}

export interface FieldOptions {
  id: string;
  label: string;
  type?: 'email' | 'password' | 'text';
  autocomplete: string;
  hint?: string;
  inputmode?: 'numeric' | 'text' | 'email';
  /** The input is optional (every field is required unless this is set). */
  optional?: boolean;
}

/**
 * A labelled input with an (initially hidden) error message. The page script links the error
 * to the input with aria-describedby and sets aria-invalid when it shows one.
 */
export function field(options: FieldOptions): string {
  const hintId = `${options.id}-hint`;
  const hint = options.hint ? `<p class="hint" id="${hintId}">${escapeHtml(options.hint)}</p>` : '';
  const describedBy = options.hint ? ` aria-describedby="${hintId}"` : '';
  const inputmode = options.inputmode ? ` inputmode="${options.inputmode}"` : '';
  const required = options.optional ? '' : ' required aria-required="true"';
  // Secret fields (passwords, one-time codes) carry no name: if the page script never runs, a
  // submitted form cannot put them into a URL, a proxy log or the browser's form history.
  const secret = options.type === 'password' || options.autocomplete === 'one-time-code';
  const name = secret ? '' : ` name="${options.id}"`;
  return `<div class="field">
<label for="${options.id}">${escapeHtml(options.label)}</label>
${hint}<p class="field-error" id="${options.id}-error" hidden></p>
<input id="${options.id}"${name} type="${options.type ?? 'text'}" autocomplete="${options.autocomplete}"${inputmode}${required}${describedBy} spellcheck="false" autocapitalize="off">
</div>`;
}

/** The list of problems of a form; the script fills it, shows it and moves focus to it. */
export function errorSummary(formId: string): string {
  return `<div class="error-summary" id="${formId}-errors" tabindex="-1" aria-labelledby="${formId}-errors-title" hidden>
<h2 id="${formId}-errors-title">There is a problem</h2>
<ul></ul>
</div>`;
}

/** The polite live region where a page says what just happened. */
export function statusRegion(): string {
  return `<div class="status" id="status" role="status" aria-live="polite" tabindex="-1"></div>`;
}

/** Shown above the form when the `redirect` parameter was refused. */
export function redirectRefusedNotice(): string {
  return `<div class="notice notice-error" id="redirect-refused" role="alert">
<p><strong>That return address is not allowed.</strong> Plinto only sends you back to the sites it is configured for, so you will stay here after signing in.</p>
</div>`;
}

/** The second step of a sign-in (after a password, a verification link or a magic link). */
export function secondFactorForm(): string {
  return `<form id="second-factor-form" method="post" class="stack" novalidate hidden aria-labelledby="second-factor-title">
<h2 id="second-factor-title" tabindex="-1">Two-step verification</h2>
${errorSummary('second-factor-form')}
<p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
${field({ id: 'second-factor-code', label: 'Code', autocomplete: 'one-time-code', hint: 'For example 123456, or a recovery code like abcd-efgh-jkmn.' })}
<div class="actions">
<button type="submit">Verify</button>
<button type="button" class="secondary" id="second-factor-restart">Start again</button>
</div>
</form>`;
}

/** `?redirect=` kept on links between the pages, once the server has accepted it. */
export function withRedirect(path: string, redirect: string | null): string {
  return redirect ? `${path}?redirect=${encodeURIComponent(redirect)}` : path;
}
