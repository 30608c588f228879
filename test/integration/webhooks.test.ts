import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LoginFailureCounter } from '../../src/auth/login-failure-counter.js';
import { PasswordMethod } from '../../src/auth/sign-in/password.method.js';
import { User, WebhookDelivery, WebhookEndpoint } from '../../src/storage/entities/index.js';
import { inTransaction } from '../../src/storage/transaction.js';
import { WEBHOOK_EVENT_TYPES } from '../../src/webhooks/webhook-events.js';
import { createTestDatabase } from '../helpers/database.js';
import type { TestDatabase } from '../helpers/database.js';
import {
  CHANGE_PASSWORD,
  REQUEST_EMAIL_VERIFICATION,
  REQUEST_PASSWORD_RESET,
  RESET_PASSWORD,
  startMailServer,
  VERIFY_EMAIL,
} from '../helpers/email-documents.js';
import {
  bearer,
  gql,
  SIGN_IN,
  SIGN_UP,
  signUpUser,
  STRONG_PASSWORD,
  uniqueEmail,
} from '../helpers/graphql.js';
import { BEGIN, codeAt, CONFIRM, DISABLE, withinOneStep } from '../helpers/mfa.js';
import { authorizeAtProvider, startOidcProvider } from '../helpers/oidc-provider.js';
import type { LocalOidcProvider } from '../helpers/oidc-provider.js';
import { freePort, startReplica, stopReplica } from '../helpers/replicas.js';
import type { TestServer } from '../helpers/server.js';
import { startServer, testEnv } from '../helpers/server.js';
import { linkIn, startSmtpServer } from '../helpers/smtp.js';
import type { TestSmtpServer } from '../helpers/smtp.js';
import { SoftwareAuthenticator } from '../helpers/webauthn.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import type { ReceivedWebhook, WebhookReceiver } from '../helpers/webhook-receiver.js';

const SIGN_OUT = `mutation { signOut }`;
const CREATE_ENDPOINT = `mutation($url: String!, $events: [String!]!, $description: String) {
  createWebhookEndpoint(url: $url, events: $events, description: $description) {
    secret
    endpoint { id url events description enabled }
  }
}`;
const APP = 'https://app.example';
const BEGIN_PASSKEY = `mutation { beginPasskeyRegistration { __typename ... on PasskeyOptions { options } } }`;
const FINISH_PASSKEY = `mutation($response: String!, $name: String) {
  finishPasskeyRegistration(response: $response, name: $name) { __typename ... on Passkey { id } } }`;
const REMOVE_PASSKEY = `mutation($id: ID!) { removePasskey(id: $id) { __typename } }`;
const LINK = `mutation($provider: String!, $redirectTo: String!) {
  linkIdentity(provider: $provider, redirectTo: $redirectTo) { __typename ... on SocialAuthorization { authorizationUrl binding } } }`;
const COMPLETE_LINK = `mutation($code: String!, $binding: String!) {
  completeLinkIdentity(code: $code, binding: $binding) { __typename } }`;
const IDENTITIES = `query { identities { id provider } }`;
const UNLINK = `mutation($id: ID!) { unlinkIdentity(id: $id) { __typename } }`;
const ADMIN_USER = `__typename ... on AdminUser { id }`;
const ADMIN_CREATE = `mutation($email: String!) { adminCreateUser(email: $email, sendInvite: false) { ${ADMIN_USER} } }`;
const ADMIN_UPDATE = `mutation($id: ID!) { adminUpdateUser(id: $id, input: { displayName: "Ada", roles: ["support"] }) { ${ADMIN_USER} } }`;
const ADMIN_DISABLE = `mutation($id: ID!) { adminDisableUser(id: $id, reason: "abuse report") { ${ADMIN_USER} } }`;
const ADMIN_ENABLE = `mutation($id: ID!) { adminEnableUser(id: $id) { ${ADMIN_USER} } }`;
const ADMIN_RESET_MFA = `mutation($id: ID!) { adminResetMfa(id: $id) { ${ADMIN_USER} } }`;
const ADMIN_DELETE = `mutation($id: ID!) { adminDeleteUser(id: $id) { __typename } }`;
const UPDATE_PROFILE = `mutation { updateProfile(displayName: "Grace") { displayName } }`;
const DAY_MS = 86_400_000;

async function endpointFor(server: TestServer, url: string, events: string[] = WEBHOOK_EVENT_TYPES) {
  const created = await server.app.services.webhookEndpoints.create(server.app.services.orm.em.fork(), {
    url,
    events,
    description: 'test receiver',
  });
  if (created.kind !== 'created') throw new Error(`endpoint refused: ${created.reason}`);
  return created;
}

describe('webhooks (postgresql, real receiver on loopback)', () => {
  let database: TestDatabase;
  let smtp: TestSmtpServer;
  let server: TestServer;
  let receiver: WebhookReceiver;
  let idp: LocalOidcProvider;

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    smtp = await startSmtpServer();
    receiver = await startWebhookReceiver();
    // A real OpenID provider for identity.linked / identity.unlinked: the server's APP_URL is its own address.
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    idp = await startOidcProvider([
      {
        client_id: 'plinto',
        client_secret: 'local-secret',
        redirect_uris: [`${appUrl}/oauth/callback/local`],
      },
    ]);
    server = await startMailServer(database, smtp.url, {
      PORT: String(port),
      APP_URL: appUrl,
      CORS_ORIGINS: APP,
      OAUTH_PROVIDERS: JSON.stringify([
        {
          id: 'local',
          name: 'Local ID',
          issuer: idp.issuer,
          clientId: 'plinto',
          clientSecret: 'local-secret',
          trustEmail: true,
        },
      ]),
      SIGNUP_MODE: 'immediate',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_POLL_INTERVAL_MS: '50',
      // Admins here sign in with a password only (the second-factor rule has its own tests, AD-1).
      ADMIN_REQUIRE_MFA: 'false',
    });
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
    await idp?.close();
    await smtp?.close();
    await database?.drop();
  });
  // Tests run in any order: each starts with no endpoint and an empty receiver.
  afterEach(async () => {
    await server.app.services.orm.em.fork().nativeDelete(WebhookEndpoint, {});
    receiver.received.length = 0;
  });

  it('sends every listed event, signed, after the action that causes it; no payload holds a secret', async () => {
    const { secret } = await endpointFor(server, receiver.url);
    const secrets: string[] = [secret, 'local-secret'];
    const forUser = (type: string, userId: string) => (m: ReceivedWebhook) =>
      m.payload.type === type && m.payload.data.userId === userId;

    // user.created + session.created (immediate sign-up signs in)
    const user = await signUpUser(server.url);
    secrets.push(user.accessToken, user.refreshToken, user.password);
    await receiver.waitFor(forUser('user.created', user.userId));
    await receiver.waitFor(forUser('session.created', user.userId));

    // user.email_verified: the mailed link
    await gql(server.url, REQUEST_EMAIL_VERIFICATION, { email: user.email });
    const { token: verifyToken } = linkIn(
      await smtp.waitFor(user.email, /Confirm your email/),
      '/verify-email',
    );
    secrets.push(verifyToken);
    const verified = await gql(server.url, VERIFY_EMAIL, { token: verifyToken });
    expect(verified.body.data?.verifyEmail.__typename).toBe('SignInSuccess');
    await receiver.waitFor(forUser('user.email_verified', user.userId));
    // The first mailbox proof of a never-verified account ends the password set before it (issue 17,
    // pre-account hijacking): the owner sets one again from the link's session, as the pages do.
    const firstPassword = await gql(
      server.url,
      CHANGE_PASSWORD,
      { current: '', next: user.password, others: false },
      bearer(verified.body.data?.verifyEmail.tokens.accessToken),
    );
    expect(firstPassword.body.data?.changePassword.__typename).toBe('PasswordChanged');

    // password.changed + session.revoked (other sessions signed out)
    const second = await gql(server.url, SIGN_IN, { email: user.email, password: user.password });
    const tokens = second.body.data?.signIn.tokens as { accessToken: string; refreshToken: string };
    secrets.push(tokens.accessToken, tokens.refreshToken);
    const changed = await gql(
      server.url,
      CHANGE_PASSWORD,
      { current: user.password, next: 'another strong passphrase 7', others: true },
      bearer(tokens.accessToken),
    );
    expect(changed.body.data?.changePassword.__typename).toBe('PasswordChanged');
    secrets.push('another strong passphrase 7');
    await receiver.waitFor(forUser('password.changed', user.userId));
    const revoked = await receiver.waitFor(forUser('session.revoked', user.userId));
    expect(revoked.payload.data.sessionIds).toContain(user.sessionId);

    // mfa.enabled, mfa.disabled
    await withinOneStep();
    const begin = await gql(server.url, BEGIN, {}, bearer(tokens.accessToken));
    const totpSecret = begin.body.data?.beginTotpEnrollment.secret as string;
    secrets.push(totpSecret);
    const confirm = await gql(
      server.url,
      CONFIRM,
      { code: codeAt(totpSecret, -30) },
      bearer(tokens.accessToken),
    );
    const codes = confirm.body.data?.confirmTotpEnrollment.codes as string[];
    expect(codes.length).toBeGreaterThan(0);
    secrets.push(...codes);
    await receiver.waitFor(forUser('mfa.enabled', user.userId));
    const disable = await gql(server.url, DISABLE, { code: codes[0] }, bearer(tokens.accessToken));
    expect(disable.body.data?.disableTotp).toBe(true);
    await receiver.waitFor(forUser('mfa.disabled', user.userId));

    // password.reset (every session ends: session.revoked with reason password-reset)
    await gql(server.url, REQUEST_PASSWORD_RESET, { email: user.email });
    const { token: resetToken } = linkIn(
      await smtp.waitFor(user.email, /Reset your password/),
      '/reset-password',
    );
    secrets.push(resetToken);
    const reset = await gql(server.url, RESET_PASSWORD, {
      token: resetToken,
      newPassword: 'reset passphrase 99 ok',
    });
    expect(reset.body.data?.resetPassword.__typename).toBe('PasswordChanged');
    await receiver.waitFor(forUser('password.reset', user.userId));
    await receiver.waitFor(
      (m) => forUser('session.revoked', user.userId)(m) && m.payload.data.reason === 'password-reset',
    );

    // session.revoked by sign-out
    const third = await signUpUser(server.url);
    secrets.push(third.accessToken, third.refreshToken);
    await gql(server.url, SIGN_OUT, {}, bearer(third.accessToken));
    await receiver.waitFor(
      (m) => forUser('session.revoked', third.userId)(m) && m.payload.data.reason === 'sign-out',
    );

    // user.locked: the failure that reaches the hard lock (a policy of 3 here; 100 by default).
    const services = server.app.services;
    const counter = new LoginFailureCounter(
      null,
      'webhook-test:',
      services.metrics,
      services.logger,
      services.emailHash,
      {
        policy: {
          freeFailures: 5,
          baseDelaySeconds: 1,
          maxDelaySeconds: 1,
          hardLimit: 3,
          retentionSeconds: 600,
        },
      },
    );
    const method = new PasswordMethod(services.passwords, counter, services.webhooks);
    for (let i = 0; i < 3; i++) {
      const refusal = await method.prove(
        services.orm.em.fork(),
        { email: third.email, password: 'wrong password 123' },
        {
          ip: '127.0.0.1',
          userAgent: 'test',
        },
      );
      expect(refusal.kind).toBe('invalid-credentials');
    }
    const locked = await receiver.waitFor(forUser('user.locked', third.userId));
    expect(
      receiver.received.filter((m) => m === locked || forUser('user.locked', third.userId)(m)),
    ).toHaveLength(1);

    // passkey.added, passkey.removed (a fresh session is its own step-up)
    const owner = await signUpUser(server.url);
    secrets.push(owner.accessToken, owner.refreshToken);
    const asOwner = bearer(owner.accessToken);
    const authenticator = new SoftwareAuthenticator(server.env.APP_URL!);
    const options = await gql(server.url, BEGIN_PASSKEY, {}, asOwner);
    const added = await gql(
      server.url,
      FINISH_PASSKEY,
      {
        response: authenticator.register(options.body.data?.beginPasskeyRegistration.options),
        name: 'Laptop',
      },
      asOwner,
    );
    const passkeyId = added.body.data?.finishPasskeyRegistration.id as string;
    expect(passkeyId).toBeTruthy();
    const passkeyAdded = await receiver.waitFor(forUser('passkey.added', owner.userId));
    expect(passkeyAdded.payload.data).toMatchObject({ passkeyId, name: 'Laptop' });
    const removed = await gql(server.url, REMOVE_PASSKEY, { id: passkeyId }, asOwner);
    expect(removed.body.data?.removePasskey.__typename).toBe('PasskeyRemoved');
    const passkeyRemoved = await receiver.waitFor(forUser('passkey.removed', owner.userId));
    expect(passkeyRemoved.payload.data.passkeyId).toBe(passkeyId);

    // identity.linked, identity.unlinked: linkIdentity through the provider's pages, then unlinkIdentity
    const subject = `webhook-${crypto.randomUUID()}`;
    idp.accounts.set(subject, { email: uniqueEmail('elsewhere'), email_verified: true });
    const link = await gql(server.url, LINK, { provider: 'local', redirectTo: `${APP}/account` }, asOwner);
    const callbackUrl = await authorizeAtProvider(link.body.data?.linkIdentity.authorizationUrl, subject);
    const answer = await fetch(callbackUrl, { redirect: 'manual' });
    // The callback hands back a link code; the session that began the link redeems it with its binding.
    const linkCode = /#link_code=([\w-]+)$/.exec(answer.headers.get('location') ?? '')?.[1];
    expect(linkCode).toBeTruthy();
    const completed = await gql(
      server.url,
      COMPLETE_LINK,
      { code: linkCode, binding: link.body.data?.linkIdentity.binding },
      asOwner,
    );
    expect(completed.body.data?.completeLinkIdentity.__typename).toBe('IdentityLinked');
    const [identity] = (await gql(server.url, IDENTITIES, {}, asOwner)).body.data?.identities as {
      id: string;
    }[];
    const linked = await receiver.waitFor(forUser('identity.linked', owner.userId));
    expect(linked.payload.data).toMatchObject({ provider: 'local', identityId: identity!.id });
    const unlinked = await gql(server.url, UNLINK, { id: identity!.id }, asOwner);
    expect(unlinked.body.data?.unlinkIdentity.__typename).toBe('IdentityUnlinked');
    const unlinkedEvent = await receiver.waitFor(forUser('identity.unlinked', owner.userId));
    expect(unlinkedEvent.payload.data).toMatchObject({ provider: 'local', identityId: identity!.id });

    // user.updated by the owner (updateProfile)
    await gql(server.url, UPDATE_PROFILE, {}, asOwner);
    const selfUpdated = await receiver.waitFor(forUser('user.updated', owner.userId));
    expect(selfUpdated.payload.data.changed).toEqual(['displayName']);

    // The admin API: user.created, user.updated, user.disabled, user.enabled, mfa.disabled (the
    // owner's TOTP reset), user.deleted
    await withinOneStep();
    const ownerTotp = await gql(server.url, BEGIN, {}, asOwner);
    const ownerSecret = ownerTotp.body.data?.beginTotpEnrollment.secret as string;
    secrets.push(ownerSecret);
    const ownerConfirm = await gql(server.url, CONFIRM, { code: codeAt(ownerSecret, -30) }, asOwner);
    secrets.push(...(ownerConfirm.body.data?.confirmTotpEnrollment.codes as string[]));
    const ownerMfa = await receiver.waitFor(forUser('mfa.enabled', owner.userId));
    const admin = await signUpUser(server.url);
    secrets.push(admin.accessToken, admin.refreshToken);
    await server.app.services.orm.em.fork().nativeUpdate(User, { id: admin.userId }, { roles: ['admin'] });
    const asAdmin = bearer(admin.accessToken);
    const createdByAdmin = await gql(server.url, ADMIN_CREATE, { email: uniqueEmail('invited') }, asAdmin);
    const invitedId = createdByAdmin.body.data?.adminCreateUser.id as string;
    expect(invitedId).toBeTruthy();
    await receiver.waitFor(forUser('user.created', invitedId));
    const target = owner.userId;
    for (const [document, field] of [
      [ADMIN_UPDATE, 'adminUpdateUser'],
      [ADMIN_DISABLE, 'adminDisableUser'],
      [ADMIN_ENABLE, 'adminEnableUser'],
      [ADMIN_RESET_MFA, 'adminResetMfa'],
    ] as const) {
      const done = await gql(server.url, document, { id: target }, asAdmin);
      expect(done.body.data?.[field].__typename, field).toBe('AdminUser');
    }
    const adminUpdated = await receiver.waitFor(
      (m) => forUser('user.updated', target)(m) && m !== selfUpdated,
    );
    expect(adminUpdated.payload.data.changed).toEqual(['roles', 'displayName']);
    const disabled = await receiver.waitFor(forUser('user.disabled', target));
    expect(disabled.payload.data.byUserId).toBe(admin.userId);
    expect((await receiver.waitFor(forUser('user.enabled', target))).payload.data.byUserId).toBe(
      admin.userId,
    );
    const mfaReset = await receiver.waitFor(forUser('mfa.disabled', target));
    expect(mfaReset.payload.timestamp >= ownerMfa.payload.timestamp).toBe(true);
    await receiver.waitFor((m) => forUser('session.revoked', target)(m) && m.payload.data.reason === 'admin');
    const deleted = await gql(server.url, ADMIN_DELETE, { id: target }, asAdmin);
    expect(deleted.body.data?.adminDeleteUser.__typename).toBe('AdminUserDeleted');
    await receiver.waitFor(forUser('user.deleted', target));

    const seen = new Set(receiver.received.map((m) => m.payload.type));
    for (const type of WEBHOOK_EVENT_TYPES) expect(seen, type).toContain(type);

    // Every message verifies with the standardwebhooks library and names its type and version.
    for (const message of receiver.received) {
      expect(() => receiver.verify(message, secret)).not.toThrow();
      expect(message.payload.id).toBe(message.id);
      expect(message.payload.version).toBe(1);
    }
    // No payload holds a hash, token, secret, password or code: not by value, not by field name.
    const hashes = (await server.app.services.orm.em.fork().find(User, {})).map((u) => u.passwordHash);
    for (const message of receiver.received) {
      for (const value of [...secrets, ...hashes]) {
        if (value) expect(message.body, message.payload.type).not.toContain(value);
      }
      expect(message.body).not.toMatch(/"[^"]*(hash|token|secret|recovery|code|totp)[^"]*":/i);
      expect(message.body).not.toMatch(/whsec_|\$2[aby]\$|\$argon2/);
    }
  });

  it("tells receivers of the passkeys a never-verified account's first mailbox proof removes", async () => {
    await endpointFor(server, receiver.url, ['passkey.added', 'passkey.removed', 'user.email_verified']);
    // Registered before the address was proven (by whoever holds the password)…
    const holder = await signUpUser(server.url);
    const authenticator = new SoftwareAuthenticator(server.env.APP_URL!);
    const options = await gql(server.url, BEGIN_PASSKEY, {}, bearer(holder.accessToken));
    const added = await gql(
      server.url,
      FINISH_PASSKEY,
      { response: authenticator.register(options.body.data?.beginPasskeyRegistration.options) },
      bearer(holder.accessToken),
    );
    const passkeyId = added.body.data?.finishPasskeyRegistration.id as string;
    expect(passkeyId).toBeTruthy();
    // … and gone with the first proof of the mailbox: receivers hear of it like a removePasskey.
    await gql(server.url, REQUEST_EMAIL_VERIFICATION, { email: holder.email });
    const { token } = linkIn(await smtp.waitFor(holder.email, /Confirm your email/), '/verify-email');
    const verified = await gql(server.url, VERIFY_EMAIL, { token });
    expect(verified.body.data?.verifyEmail.__typename).toBe('SignInSuccess');
    await receiver.waitFor(
      (m) => m.payload.type === 'user.email_verified' && m.payload.data.userId === holder.userId,
    );
    const removed = await receiver.waitFor(
      (m) => m.payload.type === 'passkey.removed' && m.payload.data.userId === holder.userId,
    );
    expect(removed.payload.data.passkeyId).toBe(passkeyId);
  });

  it('manages endpoints through the admin-only GraphQL API: secret once, rotate, deliveries, test, redeliver, delete', async () => {
    const plain = await signUpUser(server.url);
    const admin = await signUpUser(server.url);
    await server.app.services.orm.em.fork().nativeUpdate(User, { id: admin.userId }, { roles: ['admin'] });
    const asAdmin = bearer(admin.accessToken);

    // Not an admin: refused, nothing created.
    const refused = await gql(
      server.url,
      CREATE_ENDPOINT,
      { url: receiver.url, events: ['user.created'] },
      bearer(plain.accessToken),
    );
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.body.data).toBeNull();

    const bad = await gql(server.url, CREATE_ENDPOINT, { url: receiver.url, events: ['user.nope'] }, asAdmin);
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.body.errors?.[0]?.message).toMatch(/Unknown event type/);

    const created = await gql(
      server.url,
      CREATE_ENDPOINT,
      { url: receiver.url, events: ['user.created'], description: 'crm' },
      asAdmin,
    );
    const { secret, endpoint } = created.body.data?.createWebhookEndpoint as {
      secret: string;
      endpoint: { id: string; events: string[]; enabled: boolean };
    };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpoint.events).toEqual(['user.created']);
    expect(endpoint.enabled).toBe(true);
    // The secret is sealed at rest and never shown again.
    const row = await server.app.services.orm.em
      .fork()
      .findOneOrFail(WebhookEndpoint, { id: endpoint.id }, { disableIdentityMap: true });
    expect(row.secret).not.toContain(secret.slice(6));
    const listed = await gql(server.url, `query { webhookEndpoints { id url } }`, {}, asAdmin);
    expect(JSON.stringify(listed.body.data)).not.toContain('whsec_');

    const test = await gql(
      server.url,
      `mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id eventId status } }`,
      { id: endpoint.id },
      asAdmin,
    );
    const testDelivery = test.body.data?.sendTestWebhook as { id: string; eventId: string };
    const arrived = await receiver.waitFor((m) => m.id === testDelivery.eventId);
    expect(arrived.payload.type).toBe('webhook.test');
    expect(() => receiver.verify(arrived, secret)).not.toThrow();

    const rotated = await gql(
      server.url,
      `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { previousSecretExpiresAt } } }`,
      { id: endpoint.id },
      asAdmin,
    );
    const newSecret = rotated.body.data?.rotateWebhookSecret.secret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(rotated.body.data?.rotateWebhookSecret.endpoint.previousSecretExpiresAt).not.toBeNull();

    const updated = await gql(
      server.url,
      `mutation($id: ID!) { updateWebhookEndpoint(id: $id, events: ["user.created", "session.created"], description: "crm v2") { events description } }`,
      { id: endpoint.id },
      asAdmin,
    );
    expect(updated.body.data?.updateWebhookEndpoint).toEqual({
      events: ['user.created', 'session.created'],
      description: 'crm v2',
    });

    await server.app.services.webhookDispatcher.tick();
    const page = await gql(
      server.url,
      `query($id: ID!) { webhookDeliveries(endpointId: $id, status: delivered, first: 1) { nodes { id eventType status attempts lastStatusCode } pageInfo { hasNextPage endCursor } } }`,
      { id: endpoint.id },
      asAdmin,
    );
    const connection = page.body.data?.webhookDeliveries as {
      nodes: { id: string; status: string }[];
      pageInfo: { endCursor: string };
    };
    expect(connection.nodes).toHaveLength(1);
    expect(connection.nodes[0]!.status).toBe('delivered');

    const again = await gql(
      server.url,
      `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status } }`,
      { id: testDelivery.id },
      asAdmin,
    );
    expect(again.body.data?.redeliverWebhook.status).toBe('pending');
    await receiver.waitFor(
      (m) =>
        m.id === testDelivery.eventId &&
        receiver.received.filter((r) => r.id === testDelivery.eventId).length >= 2,
    );
    expect(() =>
      receiver.verify(receiver.received.filter((r) => r.id === testDelivery.eventId)[1]!, newSecret),
    ).not.toThrow();

    const deleted = await gql(
      server.url,
      `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`,
      { id: endpoint.id },
      asAdmin,
    );
    expect(deleted.body.data?.deleteWebhookEndpoint).toBe(true);
    const gone = await gql(
      server.url,
      `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`,
      { id: endpoint.id },
      asAdmin,
    );
    expect(gone.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    for (const mutation of [
      `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`,
      `mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }`,
      `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`,
    ]) {
      const forbidden = await gql(server.url, mutation, { id: endpoint.id }, bearer(plain.accessToken));
      expect(forbidden.body.errors?.[0]?.extensions?.code, mutation).toBe('FORBIDDEN');
    }
  });

  it("hands a committed delivery to its own replica's running dispatcher: written leased to it, sent once, recorded", async () => {
    const { endpoint, secret } = await endpointFor(server, receiver.url, ['user.created']);
    const em = server.app.services.orm.em.fork();
    const userId = crypto.randomUUID();
    const before = Date.now();
    const inside = await inTransaction(em, async (tx) => {
      await server.app.services.webhooks.emit(tx, {
        type: 'user.created',
        data: { userId, email: uniqueEmail(), emailVerified: false, createdAt: new Date().toISOString() },
      });
      // Still uncommitted: the row exists in this transaction only, already leased (no claim needed).
      return tx.findOneOrFail(WebhookDelivery, { endpointId: endpoint.id }, { disableIdentityMap: true });
    });
    expect(inside.lockId).not.toBeNull();
    expect(inside.lockedUntil!.getTime()).toBeGreaterThan(before);
    expect(inside.status).toBe('pending');
    const deadline = Date.now() + 30_000;
    let row = inside;
    while (Date.now() < deadline) {
      row = await em.findOneOrFail(WebhookDelivery, { id: inside.id }, { disableIdentityMap: true });
      if (row.status !== 'pending') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(row.status).toBe('delivered');
    expect(row.attempts).toBe(1);
    expect(row.lockId).toBeNull();
    expect(row.lockedUntil).toBeNull();
    const received = receiver.received.filter((m) => m.payload.data.userId === userId);
    expect(received).toHaveLength(1);
    expect(received[0]!.id).toBe(inside.eventId);
    expect(() => receiver.verify(received[0]!, secret)).not.toThrow();
  });

  it('never sends the event of a rolled-back transaction', async () => {
    const { endpoint } = await endpointFor(server, receiver.url, ['user.created']);
    const em = server.app.services.orm.em.fork();
    // A flow's transaction that fails after emitting: its delivery goes with it.
    await expect(
      inTransaction(em, async (tx) => {
        await server.app.services.webhooks.emit(tx, {
          type: 'user.created',
          data: {
            userId: '00000000-0000-4000-8000-000000000000',
            email: 'x@example.com',
            emailVerified: false,
            createdAt: new Date().toISOString(),
          },
        });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    // A real one: a sign-up with a taken address rolls back its user row and its event.
    const email = uniqueEmail('taken');
    await signUpUser(server.url, email);
    const again = await gql(server.url, SIGN_UP, { email, password: STRONG_PASSWORD });
    expect(again.body.data?.signUp.__typename).toBe('EmailTaken');
    await server.app.services.webhookDispatcher.tick();
    const rows = await em.find(WebhookDelivery, { endpointId: endpoint.id }, { disableIdentityMap: true });
    const payloads = rows.map(
      (row) => JSON.parse(server.app.services.webhooks.openPayload(row)) as { data: { email: string } },
    );
    expect(payloads.map((p) => p.data.email)).toEqual([email]);
    expect(
      receiver.received.some((m) => m.payload.data.userId === '00000000-0000-4000-8000-000000000000'),
    ).toBe(false);
  });
});

describe('webhook delivery, retries and replicas (postgresql, clock controlled)', () => {
  let database: TestDatabase;
  let smtp: TestSmtpServer;
  let server: TestServer;

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    smtp = await startSmtpServer();
    // No timer: each test runs the dispatcher's passes itself, with its own clock.
    server = await startMailServer(database, smtp.url, {
      SIGNUP_MODE: 'immediate',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_POLL_INTERVAL_MS: '0',
    });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
    await database?.drop();
  });
  // Each test's endpoints (and, by cascade, their deliveries) go: the next test sees only its own.
  afterEach(async () => {
    await server.app.services.orm.em.fork().nativeDelete(WebhookEndpoint, {});
  });

  async function emitOne(type: 'user.created' = 'user.created', now = new Date()) {
    const em = server.app.services.orm.em.fork();
    await inTransaction(em, (tx) =>
      server.app.services.webhooks.emit(
        tx,
        {
          type,
          data: {
            userId: crypto.randomUUID(),
            email: uniqueEmail(),
            emailVerified: false,
            createdAt: now.toISOString(),
          },
        },
        now,
      ),
    );
  }

  async function rowsOf(endpointId: string) {
    return server.app.services.orm.em
      .fork()
      .find(WebhookDelivery, { endpointId }, { orderBy: { createdAt: 'asc' }, disableIdentityMap: true });
  }

  it('retries a 500, 500, 200 receiver with growing delays, and delivers on the third attempt', async () => {
    const receiver = await startWebhookReceiver();
    try {
      receiver.answers.push(500, 500);
      const { endpoint, secret } = await endpointFor(server, receiver.url, ['user.created']);
      const t0 = new Date();
      await emitOne('user.created', t0);
      const dispatcher = server.app.services.webhookDispatcher;
      await dispatcher.tick(t0);
      const [afterFirst] = await rowsOf(endpoint.id);
      expect(afterFirst!.status).toBe('pending');
      expect(afterFirst!.attempts).toBe(1);
      const firstDelay = afterFirst!.nextAttemptAt.getTime() - t0.getTime();
      // Not due yet: a pass just before the next attempt sends nothing.
      await dispatcher.tick(new Date(afterFirst!.nextAttemptAt.getTime() - 1));
      expect(receiver.received).toHaveLength(1);
      const t1 = afterFirst!.nextAttemptAt;
      await dispatcher.tick(t1);
      const [afterSecond] = await rowsOf(endpoint.id);
      expect(afterSecond!.attempts).toBe(2);
      const secondDelay = afterSecond!.nextAttemptAt.getTime() - t1.getTime();
      expect(secondDelay).toBeGreaterThan(firstDelay);
      await dispatcher.tick(afterSecond!.nextAttemptAt);
      const [done] = await rowsOf(endpoint.id);
      expect(done!.status).toBe('delivered');
      expect(done!.attempts).toBe(3);
      expect(receiver.received).toHaveLength(3);
      // The same message each time (receivers de-duplicate by webhook-id), each validly signed.
      expect(new Set(receiver.received.map((m) => m.id)).size).toBe(1);
      for (const message of receiver.received) expect(() => receiver.verify(message, secret)).not.toThrow();
    } finally {
      await receiver.close();
    }
  });

  it('marks the delivery failed and disables the endpoint when the receiver is down for the whole window', async () => {
    const admin = await signUpUser(server.url);
    await server.app.services.orm.em.fork().nativeUpdate(User, { id: admin.userId }, { roles: ['admin'] });
    const gone = await startWebhookReceiver();
    const url = gone.url;
    await gone.close();
    const { endpoint } = await endpointFor(server, url, ['user.created']);
    const t0 = new Date();
    await emitOne('user.created', t0);
    const dispatcher = server.app.services.webhookDispatcher;
    let now = t0;
    for (let i = 0; i < 100; i++) {
      await dispatcher.tick(now);
      const [row] = await rowsOf(endpoint.id);
      if (row!.status !== 'pending') break;
      now = row!.nextAttemptAt;
    }
    const [row] = await rowsOf(endpoint.id);
    expect(row!.status).toBe('failed');
    expect(row!.failedAt!.getTime() - t0.getTime()).toBeGreaterThanOrEqual(3 * DAY_MS);
    expect(row!.attempts).toBeGreaterThan(3);
    const after = await server.app.services.orm.em
      .fork()
      .findOneOrFail(WebhookEndpoint, { id: endpoint.id }, { disableIdentityMap: true });
    expect(after.disabledAt).not.toBeNull();
    expect(after.disabledReason).toBe('failing');
    // The admins hear of it.
    const mail = await smtp.waitFor(admin.email, /A webhook endpoint was disabled/);
    expect(mail.text).toContain(url);
    // A disabled endpoint gets no new deliveries.
    await emitOne('user.created', now);
    expect(await rowsOf(endpoint.id)).toHaveLength(1);
  });

  it('signs with both secrets during the 24 h after a rotation, and with the new one only afterwards', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const { endpoint, secret: oldSecret } = await endpointFor(server, receiver.url, ['user.created']);
      const rotated = await server.app.services.webhookEndpoints.rotateSecret(
        server.app.services.orm.em.fork(),
        endpoint.id,
      );
      if (rotated.kind !== 'rotated') throw new Error('rotation failed');
      expect(rotated.secret).toMatch(/^whsec_/);
      expect(rotated.secret).not.toBe(oldSecret);
      const t0 = new Date();
      await emitOne('user.created', t0);
      await server.app.services.webhookDispatcher.tick(t0);
      const during = receiver.received.at(-1)!;
      expect(() => receiver.verify(during, oldSecret)).not.toThrow();
      expect(() => receiver.verify(during, rotated.secret)).not.toThrow();

      const later = new Date(t0.getTime() + DAY_MS + 60_000);
      await emitOne('user.created', later);
      await server.app.services.webhookDispatcher.tick(later);
      const after = receiver.received.at(-1)!;
      expect(after.id).not.toBe(during.id);
      expect(() => receiver.verify(after, rotated.secret)).not.toThrow();
      expect(() => receiver.verify(after, oldSecret)).toThrow();
    } finally {
      await receiver.close();
    }
  });

  it('delivers after the lease expires when the replica sending it is SIGKILLed mid-delivery (a second server process)', async () => {
    const receiver = await startWebhookReceiver();
    // The second instance is a real server process (src/main.ts) with its dispatcher on a timer and
    // a short lease; this process's instance is the survivor (no timer: its passes are explicit).
    const leaseMs = 4000;
    const other = await startReplica(
      testEnv('postgresql', database.url, {
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        WEBHOOK_POLL_INTERVAL_MS: '50',
        WEBHOOK_LEASE_MS: String(leaseMs),
      }),
    );
    try {
      receiver.answers.push('hang');
      const { endpoint, secret } = await endpointFor(server, receiver.url, ['user.created']);
      await emitOne('user.created');
      // The other process claims the delivery and POSTs it; the receiver holds the request open.
      const deadline = Date.now() + 30_000;
      while (receiver.hung === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(receiver.hung).toBe(1);
      const [claimed] = await rowsOf(endpoint.id);
      expect(claimed!.status).toBe('pending');
      expect(claimed!.lockId).not.toBeNull();
      // Killed mid-delivery: no shutdown, no chance to record or release anything.
      await stopReplica(other, 'SIGKILL');
      expect(other.process.signalCode).toBe('SIGKILL');
      const [orphaned] = await rowsOf(endpoint.id);
      expect(orphaned!.lockId).toBe(claimed!.lockId);
      // Before the lease ends the surviving instance leaves it alone …
      await server.app.services.webhookDispatcher.tick(new Date());
      expect(receiver.received).toHaveLength(0);
      expect((await rowsOf(endpoint.id))[0]!.status).toBe('pending');
      // … and once it has ended (real time), delivers it.
      const wait = orphaned!.lockedUntil!.getTime() - Date.now() + 50;
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
      await server.app.services.webhookDispatcher.tick(new Date());
      const [row] = await rowsOf(endpoint.id);
      expect(row!.status).toBe('delivered');
      expect(receiver.received).toHaveLength(1);
      // At least once: the receiver saw the same webhook-id twice (the held POST and the delivery).
      expect(receiver.received[0]!.id).toBe(receiver.held[0]!.id);
      expect(() => receiver.verify(receiver.received[0]!, secret)).not.toThrow();
      expect(() => receiver.verify(receiver.held[0]!, secret)).not.toThrow();
    } finally {
      await stopReplica(other, 'SIGKILL');
      await receiver.close();
    }
    // A process start under tsx on a shared, loaded machine: minutes, not seconds.
  }, 240_000);

  it('refuses a URL resolving to a private address without WEBHOOK_ALLOW_PRIVATE_NETWORKS, at registration and at delivery', async () => {
    const receiver = await startWebhookReceiver();
    const strict = await startServer(database, { WEBHOOK_POLL_INTERVAL_MS: '0' });
    try {
      const em = strict.app.services.orm.em.fork();
      for (const url of [
        receiver.url,
        `http://localhost:${receiver.port}/hooks`,
        'http://10.0.0.5/hooks',
        'http://169.254.169.254/latest/meta-data',
        'http://[::1]:8080/hooks',
        'http://[::ffff:127.0.0.1]/hooks',
      ]) {
        const refused = await strict.app.services.webhookEndpoints.create(em, {
          url,
          events: ['user.created'],
          description: null,
        });
        expect(refused.kind, url).toBe('invalid');
      }
      // A name that resolved elsewhere at registration (created where the flag is on) is checked
      // again at delivery, after DNS: localhost → 127.0.0.1 is refused then (DNS rebinding).
      const { endpoint } = await endpointFor(server, `http://localhost:${receiver.port}/hooks`, [
        'user.created',
      ]);
      const t0 = new Date();
      await emitOne('user.created', t0);
      await strict.app.services.webhookDispatcher.tick(t0);
      const [row] = await rowsOf(endpoint.id);
      expect(row!.attempts).toBe(1);
      expect(row!.lastError).toMatch(/address refused/);
      expect(receiver.received).toHaveLength(0);
      // The lenient replica may deliver it (tests only).
      await server.app.services.webhookDispatcher.tick(row!.nextAttemptAt);
      expect(receiver.received).toHaveLength(1);
    } finally {
      await strict.close();
      await receiver.close();
    }
  });
});
