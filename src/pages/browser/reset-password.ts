import { announce, byId, FormController, requireValue } from './forms.js';
import type { FormProblem } from './forms.js';
import { requestLinkForm } from './email-link.js';
import { createClient, describeError, emailLinkVariant } from './session.js';

const client = createClient();
const token = emailLinkVariant('reset-password');

if (token) {
  const form = new FormController('reset-password-form');
  form.onSubmit(async () => {
    const password = form.value('reset-password-new');
    const repeated = form.value('reset-password-confirm');
    const problems: FormProblem[] = [];
    requireValue('reset-password-new', password, 'Choose a new password.', problems);
    if (password !== '' && repeated !== password)
      problems.push({ field: 'reset-password-confirm', message: 'The two passwords are not the same.' });
    if (problems.length) return form.showProblems(problems);
    try {
      const result = await client.resetPassword(token, password);
      switch (result.__typename) {
        case 'PasswordChanged': {
          form.clear();
          form.hide();
          byId('reset-password-next').hidden = false;
          const devices =
            result.signedOutSessions === 1 ? '1 device was' : `${result.signedOutSessions} devices were`;
          return announce(`Your password has been changed. ${devices} signed out.`, { focus: true });
        }
        case 'PasswordRejected':
          return form.showProblems([{ field: 'reset-password-new', message: result.message }]);
        case 'InvalidToken':
          byId('reset-password-retry').hidden = false;
          return form.showProblems([{ message: result.message }]);
      }
    } catch (error) {
      form.showProblems([{ message: describeError(error) }]);
    }
  });
} else {
  requestLinkForm('request-reset-form', 'request-reset-email', (email) => client.requestPasswordReset(email));
}
