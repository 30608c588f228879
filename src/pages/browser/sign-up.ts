import { announce, FormController, requireEmail, requireValue } from './forms.js';
import type { FormProblem } from './forms.js';
import { continueAfterSignIn, createClient, describeError } from './session.js';
import { renderProviderButtons } from './social.js';

const client = createClient();
const form = new FormController('sign-up-form');

form.onSubmit(async () => {
  const email = form.value('sign-up-email');
  const password = form.value('sign-up-password');
  const problems: FormProblem[] = [];
  requireEmail('sign-up-email', email, problems);
  requireValue('sign-up-password', password, 'Choose a password.', problems);
  if (problems.length) return form.showProblems(problems);
  try {
    const result = await client.signUp({ email: email.trim(), password });
    switch (result.__typename) {
      case 'SignInSuccess':
        announce('Your account is ready.');
        return continueAfterSignIn();
      case 'VerificationRequired':
        form.clear();
        form.hide();
        return announce(
          `Almost done: we sent an email to ${result.email}. Open the link in it to confirm your address.`,
          { focus: true },
        );
      case 'EmailTaken':
        return form.showProblems([{ field: 'sign-up-email', message: result.message }]);
      case 'PasswordRejected':
        return form.showProblems([{ field: 'sign-up-password', message: result.message }]);
    }
  } catch (error) {
    form.showProblems([{ message: describeError(error) }]);
  }
});

// Social sign-up comes back to /sign-in (same query), which finishes every outcome (a second factor included).
void renderProviderButtons(
  client,
  (message) => form.showProblems([{ message }]),
  () => `${window.location.origin}/sign-in${window.location.search}`,
).catch(() => undefined);
