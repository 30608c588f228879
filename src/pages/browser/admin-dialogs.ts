import type { ReauthenticateRefusal } from '../../../client/src/index.js';
import { byId, FormController } from './forms.js';

/**
 * The two modal dialogs of the admin page (native <dialog>: focus moves in, stays in, Escape
 * cancels, and focus goes back to the button that opened it).
 */

export interface ConfirmRequest {
  title: string;
  text: string;
  /** The label of the confirming button (it says the action again, never just "OK"). */
  confirmLabel: string;
  /** Ask for a reason (disabling): the answer is required. */
  withReason?: boolean;
}

/** What a submit handler answers when the form shows a problem and stays open. */
const STAY_OPEN = Symbol('stay open');

/** Opens `dialog` modally; resolves with what `submit` answers, or null when the user cancels. */
function openModal<T>(
  dialog: HTMLDialogElement,
  form: FormController,
  cancelId: string,
  firstFieldId: string,
  submit: () => T | null | typeof STAY_OPEN,
): Promise<T | null> {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  form.clear();
  return new Promise((resolve) => {
    const done = (value: T | null) => {
      form.form.removeEventListener('submit', onSubmit);
      byId(cancelId).removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onEscape);
      if (dialog.open) dialog.close();
      opener?.focus();
      resolve(value);
    };
    const onSubmit = (event: Event) => {
      event.preventDefault();
      const value = submit();
      if (value !== STAY_OPEN) done(value);
    };
    const onCancel = () => done(null);
    const onEscape = (event: Event) => {
      event.preventDefault();
      done(null);
    };
    form.form.addEventListener('submit', onSubmit);
    byId(cancelId).addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onEscape);
    dialog.showModal();
    byId(firstFieldId).focus();
  });
}

const confirmForm = () => new FormController('confirm-form');

/**
 * Asks before an admin action. Resolves with the reason (or '' when none was asked for) when
 * confirmed, null when cancelled.
 */
export function confirmAction(request: ConfirmRequest): Promise<string | null> {
  const dialog = byId<HTMLDialogElement>('confirm-dialog');
  const form = confirmForm();
  byId('confirm-title').textContent = request.title;
  byId('confirm-text').textContent = request.text;
  byId('confirm-yes').textContent = request.confirmLabel;
  const reasonField = byId('confirm-reason-field');
  const reason = byId<HTMLInputElement>('confirm-reason');
  reasonField.hidden = !request.withReason;
  reason.value = '';
  reason.required = Boolean(request.withReason);
  return openModal(
    dialog,
    form,
    'confirm-cancel',
    request.withReason ? 'confirm-reason' : 'confirm-cancel',
    () => {
      if (!request.withReason) return '';
      const value = reason.value.trim();
      if (value === '' || value.length > 200) {
        form.showProblems([{ field: 'confirm-reason', message: 'Give a reason of 1 to 200 characters.' }]);
        return STAY_OPEN;
      }
      return value;
    },
  );
}

/** What a refused proof is called on the step-up form. */
function refusalMessage(refusal: ReauthenticateRefusal): string {
  return refusal.message;
}

/**
 * The proof for a step-up (the API answered StepUpRequired): the admin's password or a code.
 * For PlintoClient.withStepUp; null when cancelled.
 */
export function askStepUpProof(
  refusal: ReauthenticateRefusal | null,
): Promise<{ password: string } | { code: string } | null> {
  const dialog = byId<HTMLDialogElement>('step-up-dialog');
  const form = new FormController('step-up-form');
  const password = byId<HTMLInputElement>('step-up-password');
  const code = byId<HTMLInputElement>('step-up-code');
  password.value = '';
  code.value = '';
  const answer = openModal(dialog, form, 'step-up-cancel', 'step-up-password', () => {
    if (password.value !== '') return { password: password.value };
    if (code.value.trim() !== '') return { code: code.value.trim() };
    form.showProblems([
      { field: 'step-up-password', message: 'Enter your password, or a code from your app.' },
    ]);
    return STAY_OPEN;
  });
  // A refused earlier proof is said on the reopened form.
  if (refusal) form.showProblems([{ message: refusalMessage(refusal) }]);
  return answer;
}
