import type { IdentitiesQuery, PlintoClient } from '../../../client/src/index.js';
import { announce, byId } from './forms.js';
import { SOCIAL_ERRORS, takeSocialCallback } from './social.js';

type Identity = IdentitiesQuery['identities'][number];

/** The account page's "Sign-in providers": linked identities (unlink) and the providers to link. */
export class IdentitiesSection {
  constructor(
    private readonly client: PlintoClient,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** A return from linkIdentity's provider: `#link_code=` links (with this tab's binding), `#error=` is said. */
  async finishReturn(): Promise<void> {
    const callback = takeSocialCallback();
    if (!callback) return;
    if ('error' in callback) {
      announce(SOCIAL_ERRORS[callback.error] ?? SOCIAL_ERRORS.server_error!, { focus: true });
      return;
    }
    if (!('linkCode' in callback)) return;
    try {
      const result = await this.client.completeLinkIdentity(callback.linkCode);
      if (result.__typename === 'IdentityLinked') {
        await this.reload();
        announce('The provider is linked: you can now sign in with it.', { focus: true });
      } else announce(result.message, { focus: true });
    } catch (error) {
      this.failed(error);
    }
  }

  async reload(): Promise<void> {
    const [identities, providers] = await Promise.all([
      this.client.identities(),
      this.client.socialProviders(),
    ]);
    const section = byId('identities');
    if (providers.length === 0 && identities.length === 0) return;
    byId<HTMLUListElement>('identities-list').replaceChildren(
      ...identities.map((identity) => this.row(identity)),
    );
    byId('identities-empty').hidden = identities.length > 0;
    const linked = new Set(identities.map((identity) => identity.provider));
    byId('identities-link').replaceChildren(
      ...providers
        .filter((provider) => !linked.has(provider.id))
        .map((provider) => {
          const button = document.createElement('button');
          button.type = 'button';
          button.className = 'secondary';
          button.textContent = `Link ${provider.name}`;
          button.addEventListener('click', () => void this.link(provider.id));
          return button;
        }),
    );
    section.hidden = false;
  }

  private row(identity: Identity): HTMLLIElement {
    const item = document.createElement('li');
    item.className = 'identity';
    item.dataset.identityId = identity.id;
    const name = document.createElement('p');
    name.className = 'provider';
    name.textContent = identity.providerName;
    const details = document.createElement('p');
    details.className = 'details';
    details.textContent = `${identity.email ?? 'no email shared'} · linked ${new Date(identity.linkedAt).toLocaleDateString()}`;
    const unlink = document.createElement('button');
    unlink.type = 'button';
    unlink.className = 'secondary';
    unlink.textContent = 'Unlink';
    unlink.setAttribute('aria-label', `Unlink ${identity.providerName}`);
    unlink.addEventListener('click', () => void this.unlink(identity));
    item.append(name, details, unlink);
    return item;
  }

  private async link(provider: string): Promise<void> {
    try {
      const result = await this.client.linkIdentity(provider, `${window.location.origin}/account`);
      if (result.__typename === 'SocialAuthorization') return window.location.assign(result.authorizationUrl);
      announce('To link a provider, sign in again first (for your safety), then retry.', { focus: true });
    } catch (error) {
      this.failed(error);
    }
  }

  private async unlink(identity: Identity): Promise<void> {
    try {
      const result = await this.client.unlinkIdentity(identity.id);
      switch (result.__typename) {
        case 'IdentityUnlinked':
          await this.reload();
          return announce(`${identity.providerName} is unlinked.`, { focus: true });
        case 'StepUpRequired':
          return announce('To unlink a provider, sign in again first (for your safety), then retry.', {
            focus: true,
          });
        default:
          return announce(result.message, { focus: true });
      }
    } catch (error) {
      this.failed(error);
    }
  }
}
