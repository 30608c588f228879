import type { PlintoClient } from '../../../client/src/index.js';
import { readSocialCallback } from '../../../client/src/index.js';
import { byId } from './forms.js';

/** The sentence for each `#error=` code of the social callback (never the provider's own text). */
export const SOCIAL_ERRORS: Record<string, string> = {
  access_denied: 'The sign-in was cancelled at the provider.',
  invalid_state: 'That sign-in had expired or was already used. Try again.',
  invalid_id_token: 'The provider’s answer could not be verified. Try again.',
  provider_error: 'The provider refused the sign-in. Try again later.',
  provider_unavailable: 'The provider could not be reached. Try again later.',
  server_error: 'Something went wrong. Try again.',
};

/** This page's address without its fragment: where the provider's callback sends the browser back. */
export function hereWithoutFragment(): string {
  return `${window.location.origin}${window.location.pathname}${window.location.search}`;
}

/** Takes a social callback (`#code=`, `#link_code=`, `#error=`) out of the address bar and history. */
export function takeSocialCallback(): ReturnType<typeof readSocialCallback> {
  const callback = readSocialCallback(window.location.hash);
  if (callback) window.history.replaceState(null, '', window.location.pathname + window.location.search);
  return callback;
}

/** Fills `#social-buttons` with one "Continue with …" button per configured provider. */
export async function renderProviderButtons(
  client: PlintoClient,
  onError: (message: string) => void,
  returnTo: () => string = hereWithoutFragment,
): Promise<void> {
  const container = byId('social-buttons');
  const providers = await client.socialProviders();
  if (providers.length === 0) return;
  const list = byId('social-buttons-list');
  list.replaceChildren(
    ...providers.map((provider) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary social';
      button.dataset.provider = provider.id;
      button.textContent = `Continue with ${provider.name}`;
      button.addEventListener('click', () => {
        button.disabled = true;
        client.redirectToProvider(provider.id, returnTo()).catch(() => {
          button.disabled = false;
          onError(SOCIAL_ERRORS.provider_unavailable!);
        });
      });
      return button;
    }),
  );
  container.hidden = false;
}
