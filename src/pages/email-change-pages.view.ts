import { errorSummary, escapeHtml, statusRegion } from './html.js';

/** The landings of changeEmail's two emailed links (issue 21): one button each, no other input. */
export const EMAIL_CHANGE_TITLES = {
  confirm: 'Confirm your new email address',
  undo: 'Undo the change of your email address',
} as const;

const INCOMPLETE = 'Incomplete link';

function landing(id: string, title: string, body: string, button: string): string {
  return `<div id="${id}-landing" data-title="${escapeHtml(title)}">
<form id="${id}-form" method="post" class="stack" novalidate>
${errorSummary(`${id}-form`)}
<p>${body}</p>
<div class="actions"><button type="submit">${button}</button></div>
</form>
<p class="links" id="${id}-next" hidden><a href="/sign-in">Sign in</a></p>
</div>
<div id="${id}-request" data-title="${INCOMPLETE}" hidden>
<p>This address has no link token. Open the link from the mail again, whole.</p>
</div>
${statusRegion()}`;
}

export function confirmEmailChangeView(): string {
  return landing(
    'confirm-email-change',
    EMAIL_CHANGE_TITLES.confirm,
    'Make this address the address of your account. The link works once.',
    'Confirm the new address',
  );
}

export function undoEmailChangeView(): string {
  return landing(
    'undo-email-change',
    EMAIL_CHANGE_TITLES.undo,
    'Put your old address back. Every device is signed out, and we mail you a link to choose a new password.',
    'Undo the change',
  );
}
