import { toString as qrSvg } from 'qrcode';
import type { PlintoClient } from '../../../client/src/index.js';
import { announce, byId, FormController, requireValue } from './forms.js';
import type { FormProblem } from './forms.js';

const WRONG_CODE = 'The code is incorrect or was already used.';

/** Two-step verification on the account page: enrolment with a QR code, recovery codes, turning it off. */
export class TotpSection {
  private readonly confirm = new FormController('totp-confirm-form');
  private readonly recovery = new FormController('recovery-form');
  private readonly disable = new FormController('totp-disable-form');

  constructor(
    private readonly client: PlintoClient,
    private readonly failed: (error: unknown, form?: FormController) => void,
    private readonly onChange: (enabled: boolean) => void,
  ) {
    byId('totp-begin').addEventListener('click', () => void this.begin());
    this.confirm.onSubmit(() => this.submitConfirm());
    this.recovery.onSubmit(() => this.submitRecovery());
    this.disable.onSubmit(() => this.submitDisable());
  }

  render(enabled: boolean): void {
    byId('totp-off').hidden = enabled;
    byId('totp-on').hidden = !enabled;
    if (enabled) this.confirm.hide();
  }

  private async begin(): Promise<void> {
    try {
      // A session that signed in too long ago gets STEP_UP_REQUIRED: failed() says to sign in again.
      const { secret, otpauthUri } = await this.client.beginTotpEnrollment();
      // Rendered here as SVG elements (no inline style, no data: URL): the CSP allows both neither.
      const svg = await qrSvg(otpauthUri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
      const image = new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement;
      image.setAttribute('role', 'img');
      image.setAttribute('aria-label', 'QR code for your authenticator app (the key below holds the same)');
      image.setAttribute('width', '200');
      image.setAttribute('height', '200');
      byId('totp-qr').replaceChildren(document.importNode(image, true));
      byId('totp-secret').textContent = secret;
      this.confirm.clear();
      this.confirm.show();
      byId('totp-confirm-title').focus();
    } catch (error) {
      this.failed(error);
    }
  }

  private code(form: FormController, fieldId: string): string | null {
    const code = form.value(fieldId).trim();
    const problems: FormProblem[] = [];
    requireValue(fieldId, code, 'Enter the code from your authenticator app.', problems);
    if (problems.length) {
      form.showProblems(problems);
      return null;
    }
    return code;
  }

  private async submitConfirm(): Promise<void> {
    const code = this.code(this.confirm, 'totp-confirm-code');
    if (code === null) return;
    try {
      const result = await this.client.confirmTotpEnrollment(code);
      if (result.__typename !== 'RecoveryCodes')
        return this.confirm.showProblems([{ field: 'totp-confirm-code', message: result.message }]);
      this.confirm.form.reset();
      byId('totp-qr').replaceChildren();
      byId('totp-secret').textContent = '';
      this.render(true);
      this.onChange(true);
      this.showCodes(result.codes, 'Two-step verification is on.');
    } catch (error) {
      this.failed(error, this.confirm);
    }
  }

  private async submitRecovery(): Promise<void> {
    const code = this.code(this.recovery, 'recovery-code');
    if (code === null) return;
    try {
      const result = await this.client.regenerateRecoveryCodes(code);
      if (result.__typename !== 'RecoveryCodes')
        return this.recovery.showProblems([{ field: 'recovery-code', message: result.message }]);
      this.recovery.form.reset();
      this.showCodes(result.codes, 'New recovery codes replace the old ones.');
    } catch (error) {
      this.failed(error, this.recovery);
    }
  }

  private async submitDisable(): Promise<void> {
    const code = this.code(this.disable, 'totp-disable-code');
    if (code === null) return;
    try {
      if (!(await this.client.disableTotp(code))) {
        return this.disable.showProblems([{ field: 'totp-disable-code', message: WRONG_CODE }]);
      }
      this.disable.form.reset();
      byId('recovery-codes').hidden = true;
      this.render(false);
      this.onChange(false);
      announce('Two-step verification is off.', { focus: true });
    } catch (error) {
      this.failed(error, this.disable);
    }
  }

  private showCodes(codes: string[], message: string): void {
    const list = byId('recovery-codes-list');
    list.replaceChildren(
      ...codes.map((code) => {
        const item = document.createElement('li');
        const text = document.createElement('code');
        text.textContent = code;
        item.append(text);
        return item;
      }),
    );
    const section = byId('recovery-codes');
    section.hidden = false;
    announce(message);
    section.focus();
  }
}
