import { requestLinkForm, tokenLanding } from './email-link.js';
import { createClient, emailLinkVariant } from './session.js';

const client = createClient();
const token = emailLinkVariant('magic-link');
if (token) {
  tokenLanding(client, token, { form: 'magic-link-form', retry: 'magic-link-retry' }, (t) =>
    client.signInWithMagicLink(t),
  );
} else {
  requestLinkForm('request-magic-link-form', 'request-magic-link-email', (email) =>
    client.requestMagicLink(email),
  );
}
