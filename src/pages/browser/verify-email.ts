import { maybeById } from './forms.js';
import { requestLinkForm, tokenLanding } from './email-link.js';
import { createClient } from './session.js';

const client = createClient();
if (maybeById('verify-email-form')) {
  tokenLanding(client, { form: 'verify-email-form', retry: 'verify-email-retry' }, (token) =>
    client.verifyEmail(token),
  );
} else {
  requestLinkForm('request-verification-form', 'request-verification-email', (email) =>
    client.requestEmailVerification(email),
  );
}
