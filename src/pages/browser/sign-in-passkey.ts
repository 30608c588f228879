import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
} from '@simplewebauthn/browser';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { PlintoClient, FinishPasskeySignInMutation } from '../../../client/src/index.js';
import { byId } from './forms.js';
import type { FormController } from './forms.js';
import { describePasskeyError, isBrowserPasskeyError } from './passkey-errors.js';
import { describeError } from './session.js';

type Result = FinishPasskeySignInMutation['finishPasskeySignIn'];

/**
 * "Sign in with a passkey" on /sign-in: a button (any passkey of this site, or the typed address's
 * passkeys), and conditional UI where the browser has it: saved passkeys offered in the email
 * field's autofill. Both answer with the same result union as the password sign-in.
 */
export class PasskeySignIn {
  constructor(
    private readonly client: PlintoClient,
    private readonly form: FormController,
    private readonly onResult: (result: Result) => void,
  ) {}

  async start(): Promise<void> {
    if (!browserSupportsWebAuthn()) return;
    byId('passkey-sign-in-actions').hidden = false;
    byId('passkey-sign-in').addEventListener('click', () => void this.form.busy(() => this.signIn(false)));
    if (await browserSupportsWebAuthnAutofill()) void this.signIn(true);
  }

  private async signIn(autofill: boolean): Promise<void> {
    const email = autofill ? '' : this.form.value('sign-in-email').trim();
    try {
      const options = await this.client.beginPasskeySignIn(
        /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : undefined,
      );
      const answer = await startAuthentication({
        optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON,
        useBrowserAutofill: autofill,
      });
      this.onResult(await this.client.finishPasskeySignIn(answer as unknown as Record<string, unknown>));
    } catch (error) {
      // A conditional request ends quietly when the button (or a page change) replaces it.
      if (autofill) return;
      this.form.showProblems([
        { message: isBrowserPasskeyError(error) ? describePasskeyError(error) : describeError(error) },
      ]);
    }
  }
}
