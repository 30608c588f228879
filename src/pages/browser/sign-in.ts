import { announce, byId, FormController, requireEmail, requireValue } from './forms.js';
import type { FormProblem } from './forms.js';
import { SecondFactorStep } from './second-factor.js';
import { PasskeySignIn } from './sign-in-passkey.js';
import { continueAfterSignIn, createClient, describeError } from './session.js';
import { renderProviderButtons, SOCIAL_ERRORS, takeSocialCallback } from './social.js';

const client = createClient();
const form = new FormController('sign-in-form');
const verifyAgain = byId('verify-again');
const secondFactor = new SecondFactorStep(client, () => {
  form.show();
  byId('sign-in-password').focus();
});

/** One answer for every way of signing in on this page (password or passkey): the same result union. */
function handle(result: Awaited<ReturnType<typeof client.signIn>>): void {
  switch (result.__typename) {
    case 'SignInSuccess':
      announce('Signed in.');
      return continueAfterSignIn();
    case 'MfaChallenge':
      form.clear();
      form.hide();
      byId<HTMLInputElement>('sign-in-password').value = '';
      return secondFactor.begin(result.challengeToken);
    case 'EmailNotVerified':
      verifyAgain.hidden = false;
      return form.showProblems([{ message: result.message }]);
    case 'InvalidCredentials':
    case 'TooManyAttempts':
      return form.showProblems([{ message: result.message }]);
  }
}

form.onSubmit(async () => {
  const email = form.value('sign-in-email');
  const password = form.value('sign-in-password');
  const problems: FormProblem[] = [];
  requireEmail('sign-in-email', email, problems);
  requireValue('sign-in-password', password, 'Enter your password.', problems);
  if (problems.length) return form.showProblems(problems);
  verifyAgain.hidden = true;
  try {
    handle(await client.signIn({ email: email.trim(), password }));
  } catch (error) {
    form.showProblems([{ message: describeError(error) }]);
  }
});

byId('verify-again-button').addEventListener('click', () => {
  const email = form.value('sign-in-email').trim();
  void client.requestEmailVerification(email).then(
    () => announce(`If ${email} has an account waiting for confirmation, a new link is on its way.`),
    (error: unknown) => announce(describeError(error)),
  );
});

void new PasskeySignIn(client, form, handle).start();
/** Back from a provider (issue 20): `#code=` finishes the sign-in here, `#error=` is said in words. */
async function finishSocialSignIn(): Promise<void> {
  const callback = takeSocialCallback();
  if (!callback || 'linked' in callback || 'linkCode' in callback) return;
  if ('error' in callback) {
    return form.showProblems([{ message: SOCIAL_ERRORS[callback.error] ?? SOCIAL_ERRORS.server_error! }]);
  }
  announce('Finishing your sign-in…');
  try {
    const result = await client.completeSocialSignIn(callback.code);
    switch (result.__typename) {
      case 'SignInSuccess':
        announce('Signed in.');
        return continueAfterSignIn();
      case 'MfaChallenge':
        form.clear();
        form.hide();
        return secondFactor.begin(result.challengeToken);
      default:
        return form.showProblems([{ message: result.message }]);
    }
  } catch (error) {
    form.showProblems([{ message: describeError(error) }]);
  }
}

void finishSocialSignIn();
void renderProviderButtons(client, (message) => form.showProblems([{ message }])).catch(() => undefined);
