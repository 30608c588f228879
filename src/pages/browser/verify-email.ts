import { requestLinkForm, tokenLanding } from './email-link.js';
import { createClient, emailLinkVariant } from './session.js';

const client = createClient();
const token = emailLinkVariant('verify-email');
if (token) {
  tokenLanding(client, token, { form: 'verify-email-form', retry: 'verify-email-retry' }, (t) =>
    client.verifyEmail(t),
  );
} else {
  requestLinkForm('request-verification-form', 'request-verification-email', (email) =>
    client.requestEmailVerification(email),
  );
}
