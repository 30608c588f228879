import type { PlintoClient, VerifyEmailMutation } from '../../../client/src/index.js';
import { announce, byId, FormController, requireEmail } from './forms.js';
import type { FormProblem } from './forms.js';
import { SecondFactorStep } from './second-factor.js';
import { continueAfterSignIn, describeError } from './session.js';

type TokenSignInResult = VerifyEmailMutation['verifyEmail'];

/**
 * The landing of a verification or magic link. The token is spent only when the user presses the
 * button: mail scanners that open links (some even run scripts) must not use it up.
 */
export function tokenLanding(
  client: PlintoClient,
  token: string,
  ids: { form: string; retry: string },
  signIn: (token: string) => Promise<TokenSignInResult>,
): void {
  const form = new FormController(ids.form);
  const secondFactor = new SecondFactorStep(client, () => window.location.assign('/sign-in'));
  form.onSubmit(async () => {
    try {
      const result = await signIn(token);
      switch (result.__typename) {
        case 'SignInSuccess':
          announce('Signed in.');
          return continueAfterSignIn();
        case 'MfaChallenge':
          form.hide();
          return secondFactor.begin(result.challengeToken);
        default:
          byId(ids.retry).hidden = false;
          return form.showProblems([{ message: result.message }]);
      }
    } catch (error) {
      form.showProblems([{ message: describeError(error) }]);
    }
  });
}

/** A "send me a link" form: the answer is the same whether or not the address has an account. */
export function requestLinkForm(
  formId: string,
  fieldId: string,
  request: (email: string) => Promise<boolean>,
): void {
  const form = new FormController(formId);
  form.onSubmit(async () => {
    const email = form.value(fieldId).trim();
    const problems: FormProblem[] = [];
    requireEmail(fieldId, email, problems);
    if (problems.length) return form.showProblems(problems);
    try {
      await request(email);
      form.clear();
      announce(`If ${email} has an account, we have sent it a link. Check your inbox.`, { focus: true });
    } catch (error) {
      form.showProblems([{ message: describeError(error) }]);
    }
  });
}
