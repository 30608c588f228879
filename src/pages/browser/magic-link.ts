import { maybeById } from './forms.js';
import { requestLinkForm, tokenLanding } from './email-link.js';
import { createClient } from './session.js';

const client = createClient();
if (maybeById('magic-link-form')) {
  tokenLanding(client, { form: 'magic-link-form', retry: 'magic-link-retry' }, (token) =>
    client.signInWithMagicLink(token),
  );
} else {
  requestLinkForm('request-magic-link-form', 'request-magic-link-email', (email) =>
    client.requestMagicLink(email),
  );
}
