import type { PlintoClient } from '../../../client/src/index.js';
import { announce, byId, FormController, requireValue } from './forms.js';
import type { FormProblem } from './forms.js';
import { continueAfterSignIn, describeError } from './session.js';

/**
 * The second step of a sign-in, shared by the sign-in page and the email-link landings:
 * a code from the authenticator app or a recovery code, checked by completeMfaSignIn.
 */
export class SecondFactorStep {
  private readonly form = new FormController('second-factor-form');
  private challengeToken: string | null = null;

  constructor(
    private readonly client: PlintoClient,
    onRestart: () => void,
  ) {
    this.form.onSubmit(() => this.submit());
    byId('second-factor-restart').addEventListener('click', () => {
      this.challengeToken = null;
      this.form.clear();
      this.form.hide();
      onRestart();
    });
  }

  /** Shows the step for a new challenge and moves focus to its code field. */
  begin(challengeToken: string): void {
    this.challengeToken = challengeToken;
    this.form.clear();
    byId<HTMLInputElement>('second-factor-code').value = '';
    this.form.show();
    announce('Your password was right. Now enter the code from your authenticator app.');
    byId('second-factor-code').focus();
  }

  private async submit(): Promise<void> {
    const code = this.form.value('second-factor-code').trim();
    const problems: FormProblem[] = [];
    requireValue('second-factor-code', code, 'Enter the code from your authenticator app.', problems);
    if (problems.length) return this.form.showProblems(problems);
    if (!this.challengeToken) return this.form.showProblems([{ message: 'Start again: sign in first.' }]);
    try {
      const result = await this.client.completeMfaSignIn(this.challengeToken, code);
      switch (result.__typename) {
        case 'SignInSuccess':
          announce('Signed in.');
          return continueAfterSignIn();
        case 'InvalidMfaCode':
          return this.form.showProblems([{ field: 'second-factor-code', message: result.message }]);
        case 'InvalidToken':
          this.challengeToken = null;
          return this.form.showProblems([
            { message: `${result.message} Choose “Start again” to sign in once more.` },
          ]);
        case 'TooManyAttempts':
          return this.form.showProblems([{ message: result.message }]);
      }
    } catch (error) {
      this.form.showProblems([{ message: describeError(error) }]);
    }
  }
}
