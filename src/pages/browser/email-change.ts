import { announce, byId, FormController } from './forms.js';
import { createClient, describeError, emailLinkVariant } from './session.js';

/**
 * The landings of /confirm-email-change and /undo-email-change. The token is spent only when the
 * user presses the button: mail scanners that open links must not use it up.
 */
const client = createClient();
const undo = window.location.pathname === '/undo-email-change';
const id = undo ? 'undo-email-change' : 'confirm-email-change';
const token = emailLinkVariant(id);
if (token) {
  const form = new FormController(`${id}-form`);
  form.onSubmit(async () => {
    try {
      const result = undo ? await client.undoEmailChange(token) : await client.confirmEmailChange(token);
      if (result.__typename !== 'EmailChanged') return form.showProblems([{ message: result.message }]);
      form.hide();
      byId(`${id}-next`).hidden = false;
      announce(
        undo
          ? `${result.email} is your address again. Check it for a link to choose a new password.`
          : `${result.email} is now the address of your account.`,
        { focus: true },
      );
    } catch (error) {
      form.showProblems([{ message: describeError(error) }]);
    }
  });
}
