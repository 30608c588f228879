import { browserSupportsWebAuthn, startRegistration } from '@simplewebauthn/browser';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import type { PasskeysQuery, PlintoClient } from '../../../client/src/index.js';
import { announce, byId, FormController } from './forms.js';
import { describePasskeyError, isBrowserPasskeyError } from './passkey-errors.js';

type PasskeyRow = PasskeysQuery['passkeys'][number];

function stepUpMessage(maxAgeSeconds: number): string {
  const minutes = Math.max(1, Math.round(maxAgeSeconds / 60));
  return `For your security, changing passkeys needs a sign-in from the last ${minutes} minutes. Sign out, sign in again, then retry.`;
}

/** Passkeys on the account page: the list (rename, remove) and "Add a passkey" (step-up applies). */
export class PasskeysSection {
  private readonly add = new FormController('passkey-add-form');

  constructor(
    private readonly client: PlintoClient,
    private readonly failed: (error: unknown, form?: FormController) => void,
    private readonly onChange: () => void,
  ) {
    if (!browserSupportsWebAuthn()) {
      byId('passkeys-unsupported').hidden = false;
      this.add.hide();
    }
    this.add.onSubmit(() => this.submitAdd());
  }

  async reload(): Promise<void> {
    this.render(await this.client.passkeys());
  }

  private render(passkeys: PasskeyRow[]): void {
    byId('passkeys-empty').hidden = passkeys.length > 0;
    byId<HTMLUListElement>('passkeys-list').replaceChildren(...passkeys.map((p) => this.row(p)));
  }

  private row(passkey: PasskeyRow): HTMLLIElement {
    const item = document.createElement('li');
    item.className = 'session passkey';
    item.dataset.passkeyId = passkey.id;
    const name = document.createElement('p');
    name.className = 'device';
    name.textContent = passkey.name;
    const details = document.createElement('p');
    details.className = 'details';
    const added = new Date(passkey.createdAt).toLocaleDateString();
    const used = passkey.lastUsedAt ? new Date(passkey.lastUsedAt).toLocaleString() : 'never';
    const synced = passkey.backupEligible
      ? passkey.backedUp
        ? ' · synced'
        : ' · can sync'
      : ' · this device only';
    details.textContent = `Added ${added} · last used ${used}${synced}`;

    const rename = document.createElement('form');
    rename.className = 'inline';
    const inputId = `passkey-rename-${passkey.id}`;
    const label = document.createElement('label');
    label.htmlFor = inputId;
    label.textContent = `New name for ${passkey.name}`;
    label.className = 'visually-hidden';
    const input = document.createElement('input');
    input.id = inputId;
    input.type = 'text';
    input.value = passkey.name;
    input.maxLength = 100;
    input.autocomplete = 'off';
    const renameButton = document.createElement('button');
    renameButton.type = 'submit';
    renameButton.className = 'secondary';
    renameButton.textContent = 'Rename';
    renameButton.setAttribute('aria-label', `Rename ${passkey.name}`);
    rename.append(label, input, renameButton);
    rename.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.rename(passkey.id, input.value);
    });

    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'danger';
    remove.textContent = 'Remove';
    remove.setAttribute('aria-label', `Remove ${passkey.name}`);
    remove.addEventListener('click', () => void this.remove(passkey.id));
    item.append(name, details, rename, remove);
    return item;
  }

  private async submitAdd(): Promise<void> {
    try {
      const begin = await this.client.beginPasskeyRegistration();
      if (begin.__typename === 'StepUpRequired') {
        return this.add.showProblems([{ message: stepUpMessage(begin.maxAgeSeconds) }]);
      }
      let answer;
      try {
        answer = await startRegistration({
          optionsJSON: begin.options as unknown as PublicKeyCredentialCreationOptionsJSON,
        });
      } catch (error) {
        return this.add.showProblems([{ message: describePasskeyError(error) }]);
      }
      const name = this.add.value('passkey-name').trim() || undefined;
      const result = await this.client.finishPasskeyRegistration(
        answer as unknown as Record<string, unknown>,
        name,
      );
      if (result.__typename !== 'Passkey') return this.add.showProblems([{ message: result.message }]);
      this.add.clear();
      this.add.form.reset();
      await this.reload();
      this.onChange();
      announce(`Passkey “${result.name}” added. You can now sign in with it.`, { focus: true });
    } catch (error) {
      if (isBrowserPasskeyError(error)) this.add.showProblems([{ message: describePasskeyError(error) }]);
      else this.failed(error, this.add);
    }
  }

  private async rename(id: string, name: string): Promise<void> {
    try {
      const result = await this.client.renamePasskey(id, name);
      if (result.__typename === 'StepUpRequired')
        return announce(stepUpMessage(result.maxAgeSeconds), { focus: true });
      if (result.__typename !== 'Passkey') return announce(result.message, { focus: true });
      await this.reload();
      announce(`Passkey renamed to “${result.name}”.`, { focus: true });
    } catch (error) {
      this.failed(error);
    }
  }

  private async remove(id: string): Promise<void> {
    try {
      const result = await this.client.removePasskey(id);
      switch (result.__typename) {
        case 'PasskeyRemoved':
          await this.reload();
          this.onChange();
          return announce('Passkey removed.', { focus: true });
        case 'StepUpRequired':
          return announce(stepUpMessage(result.maxAgeSeconds), { focus: true });
        default:
          return announce(result.message, { focus: true });
      }
    } catch (error) {
      this.failed(error);
    }
  }
}
