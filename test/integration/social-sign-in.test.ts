import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SignJWT, generateKeyPair } from 'jose';
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditEvent,
  Identity,
  OAuthCode,
  OAuthRequest,
  Session,
  User,
} from '../../src/storage/entities/index.js';
import { BACKENDS } from '../helpers/database.js';
import {
  bearer,
  gql,
  ME,
  SIGN_IN,
  SIGN_IN_SUCCESS_FIELDS,
  signUpUser,
  STRONG_PASSWORD,
  uniqueEmail,
} from '../helpers/graphql.js';
import { accessTokenAmr, codeAt, complete, enrolledUser, withinOneStep } from '../helpers/mfa.js';
import { authorizeAtProvider, startOidcProvider } from '../helpers/oidc-provider.js';
import type { LocalOidcProvider } from '../helpers/oidc-provider.js';
import { useMailServer } from '../helpers/use-server.js';
import { PlintoClient, createIdTokenNonce } from '../../client/src/index.js';

const APP = 'https://app.example';
const DONE = `${APP}/signed-in`;

const BEGIN = `mutation Begin($provider: String!, $redirectTo: String!) {
  beginSocialSignIn(provider: $provider, redirectTo: $redirectTo) { authorizationUrl expiresAt binding }
}`;
const RESULT_FIELDS = `${SIGN_IN_SUCCESS_FIELDS}
  ... on MfaChallenge { challengeToken }`;
const COMPLETE = `mutation Complete($code: String!, $binding: String) {
  completeSocialSignIn(code: $code, binding: $binding) { ${RESULT_FIELDS} }
}`;
const COMPLETE_LINK = `mutation CompleteLink($code: String!, $binding: String!) {
  completeLinkIdentity(code: $code, binding: $binding) {
    __typename ... on IdentityLinked { provider identities { provider } } ... on UserError { code }
  }
}`;
const ID_TOKEN = `mutation Native($provider: String!, $idToken: String!, $nonce: String!) {
  signInWithIdToken(provider: $provider, idToken: $idToken, nonce: $nonce) { ${RESULT_FIELDS} }
}`;
const PROVIDERS = `query { socialProviders { id name } }`;
const IDENTITIES = `query { identities { id provider providerName email emailVerified linkedAt lastUsedAt } }`;
const LINK = `mutation Link($provider: String!, $redirectTo: String!) {
  linkIdentity(provider: $provider, redirectTo: $redirectTo) {
    __typename ... on SocialAuthorization { authorizationUrl binding } ... on UserError { code }
  }
}`;
const UNLINK = `mutation Unlink($id: ID!) {
  unlinkIdentity(id: $id) {
    __typename ... on IdentityUnlinked { identities { id provider } } ... on UserError { code }
  }
}`;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');
let subjects = 0;
const newSubject = () => `sub-${Date.now().toString(36)}-${(subjects += 1)}`;

describe.each(BACKENDS)('social sign-in with a local OpenID provider (%s)', (backend) => {
  let idp: LocalOidcProvider;
  const overrides: Record<string, string> = {};
  beforeAll(async () => {
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    idp = await startOidcProvider([
      {
        client_id: 'plinto',
        client_secret: 'local-secret',
        redirect_uris: [`${appUrl}/oauth/callback/local`],
      },
      {
        client_id: 'plinto-untrusted',
        client_secret: 'other-secret',
        redirect_uris: [`${appUrl}/oauth/callback/untrusted`],
      },
    ]);
    Object.assign(overrides, {
      PORT: String(port),
      APP_URL: appUrl,
      SIGNUP_MODE: 'immediate',
      CORS_ORIGINS: APP,
      OAUTH_REDIRECT_ALLOWLIST: 'com.example.app:',
      OAUTH_PROVIDERS: JSON.stringify([
        {
          id: 'local',
          name: 'Local ID',
          issuer: idp.issuer,
          clientId: 'plinto',
          clientSecret: 'local-secret',
          trustEmail: true,
          audiences: ['native-app'],
        },
        {
          id: 'untrusted',
          name: 'Untrusted ID',
          issuer: idp.issuer,
          clientId: 'plinto-untrusted',
          clientSecret: 'other-secret',
        },
      ]),
    });
  });
  afterAll(async () => idp?.close());
  const ctx = useMailServer(backend, overrides);
  const url = () => ctx.server.url;
  const fork = () => ctx.server.app.services.orm.em.fork();

  /** A provider account: the login at the provider's page is its subject. */
  const account = (email: string | undefined, verified = true): string => {
    const subject = newSubject();
    idp.accounts.set(subject, email === undefined ? {} : { email, email_verified: verified });
    return subject;
  };

  const begin = async (provider = 'local', redirectTo = DONE) => {
    const response = await gql(url(), BEGIN, { provider, redirectTo });
    return response;
  };

  /** begin → the provider's login and consent → Plinto's callback; returns where the callback sent the browser. */
  const webFlow = async (login: string, provider = 'local', options: { consent?: boolean } = {}) => {
    const started = await begin(provider);
    const authorizationUrl = started.body.data?.beginSocialSignIn.authorizationUrl as string;
    expect(authorizationUrl.startsWith(`${idp.issuer}/`)).toBe(true);
    const callbackUrl = await authorizeAtProvider(authorizationUrl, login, options);
    expect(callbackUrl.startsWith(`${url()}/oauth/callback/${provider}?`)).toBe(true);
    const answer = await fetch(callbackUrl, { redirect: 'manual' });
    const binding = started.body.data?.beginSocialSignIn.binding as string;
    return { callbackUrl, answer, binding, ...fragmentOf(answer) };
  };

  const fragmentOf = (answer: Response) => {
    const location = answer.headers.get('location');
    const target = location ? new URL(location) : null;
    return { location, fragment: new URLSearchParams(target?.hash.slice(1) ?? '') };
  };

  const completeWith = async (code: string, binding: string) =>
    (await gql(url(), COMPLETE, { code, binding })).body.data?.completeSocialSignIn;

  const signInThroughProvider = async (login: string, provider = 'local') => {
    const flow = await webFlow(login, provider);
    expect(flow.answer.status).toBe(303);
    expect(flow.location?.startsWith(`${DONE}#code=`)).toBe(true);
    return completeWith(flow.fragment.get('code')!, flow.binding);
  };

  const verifiedUser = async (email = uniqueEmail('owner')) => {
    const user = await signUpUser(url(), email);
    await fork().nativeUpdate(User, { id: user.userId }, { emailVerifiedAt: new Date() });
    return user;
  };

  it('lists the configured providers for buttons', async () => {
    const response = await gql(url(), PROVIDERS);
    expect(response.body.data?.socialProviders).toEqual([
      { id: 'local', name: 'Local ID' },
      { id: 'untrusted', name: 'Untrusted ID' },
    ]);
  });

  it('signs a new user up through the web flow: a verified account without a password, and its identity', async () => {
    const email = uniqueEmail('social-new');
    const subject = account(email);
    const result = await signInThroughProvider(subject);
    expect(result.__typename).toBe('SignInSuccess');
    expect(result.user).toMatchObject({ email, emailVerified: true, mfaEnabled: false });
    expect(accessTokenAmr(result.tokens.accessToken)).toEqual(['fed']);
    const user = await fork().findOneOrFail(User, { email });
    expect(user.passwordHash).toBeNull();
    const identity = await fork().findOneOrFail(Identity, { provider: 'local', subject });
    expect(identity.user.id).toBe(user.id);
    expect([identity.email, identity.emailVerified]).toEqual([email, true]);
    const events = await fork().find(AuditEvent, { userId: user.id, kind: 'social_sign_in' });
    expect(events.map((e) => e.result)).toEqual(['success']);
  });

  it('stores the state hashed and nothing secret: no state, verifier or nonce of the authorization URL is in the row', async () => {
    const started = await begin();
    const params = new URL(started.body.data?.beginSocialSignIn.authorizationUrl).searchParams;
    const state = params.get('state')!;
    const row = await fork().findOneOrFail(OAuthRequest, { stateHash: sha256Hex(state) });
    expect(JSON.stringify(row)).not.toContain(state);
    expect(JSON.stringify(row)).not.toContain(params.get('nonce')!);
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(600_000);
  });

  it('signs a returning user in to the same account, by provider and subject, even when the email changed', async () => {
    const subject = account(uniqueEmail('social-back'));
    const first = await signInThroughProvider(subject);
    idp.accounts.set(subject, { email: uniqueEmail('renamed'), email_verified: true });
    const second = await signInThroughProvider(subject);
    expect(second.__typename).toBe('SignInSuccess');
    expect(second.user.id).toBe(first.user.id);
    expect(await fork().count(Identity, { user: first.user.id })).toBe(1);
  });

  it('links to a verified account with the same email when the provider is trusted, and mails the owner', async () => {
    const owner = await verifiedUser();
    const subject = account(owner.email);
    const result = await signInThroughProvider(subject);
    expect(result.__typename).toBe('SignInSuccess');
    expect(result.user.id).toBe(owner.userId);
    expect((await fork().findOneOrFail(Identity, { provider: 'local', subject })).user.id).toBe(owner.userId);
    const mail = await ctx.smtp.waitFor(owner.email, /sign-in provider was linked/);
    expect(mail.text).toContain('Local ID');
    // The owner's password still works: linking took nothing away.
    const signIn = await gql(url(), SIGN_IN, { email: owner.email, password: STRONG_PASSWORD });
    expect(signIn.body.data?.signIn.__typename).toBe('SignInSuccess');
  });

  it('answers IdentityLinkRequired for an existing account when the provider is not trusted with emails', async () => {
    const owner = await verifiedUser();
    const subject = account(owner.email);
    const result = await signInThroughProvider(subject, 'untrusted');
    expect(result).toMatchObject({ __typename: 'IdentityLinkRequired', code: 'IDENTITY_LINK_REQUIRED' });
    expect(await fork().count(Identity, { subject })).toBe(0);
    expect(await fork().count(Session, { user: owner.userId })).toBe(1);
  });

  it('answers IdentityLinkRequired when the trusted provider does not vouch for the email', async () => {
    const owner = await verifiedUser();
    const result = await signInThroughProvider(account(owner.email, false));
    expect(result.__typename).toBe('IdentityLinkRequired');
  });

  it('hands an unverified account to the mailbox owner the provider proved: the unproven password and sessions end', async () => {
    // Someone registered the address without ever proving the mailbox (a pre-hijack).
    const squatter = await signUpUser(url(), uniqueEmail('squatted'));
    const result = await signInThroughProvider(account(squatter.email));
    expect(result.__typename).toBe('SignInSuccess');
    expect(result.user).toMatchObject({ id: squatter.userId, emailVerified: true });
    const user = await fork().findOneOrFail(User, { id: squatter.userId });
    expect(user.passwordHash).toBeNull();
    const squatterSession = await fork().findOneOrFail(Session, { id: squatter.sessionId });
    expect(squatterSession.revokedAt).not.toBeNull();
    const signIn = await gql(url(), SIGN_IN, { email: squatter.email, password: STRONG_PASSWORD });
    expect(signIn.body.data?.signIn.__typename).toBe('InvalidCredentials');
  });

  it('answers a TOTP user with an MFA challenge, and the code makes the session', async () => {
    await withinOneStep();
    const user = await enrolledUser(url());
    await fork().nativeUpdate(User, { id: user.userId }, { emailVerifiedAt: new Date() });
    const result = await signInThroughProvider(account(user.email));
    expect(result.__typename).toBe('MfaChallenge');
    const done = await complete(url(), result.challengeToken, codeAt(user.secret));
    expect(done?.__typename).toBe('SignInSuccess');
    expect(accessTokenAmr(done.tokens.accessToken)).toEqual(['fed', 'otp', 'mfa']);
  });

  it('refuses a wrong state at the callback: 400 with a stable code, no Plinto code', async () => {
    const started = await begin();
    const callbackUrl = await authorizeAtProvider(
      started.body.data?.beginSocialSignIn.authorizationUrl,
      account(uniqueEmail('state')),
    );
    const codesBefore = await fork().count(OAuthCode, {});
    const tampered = new URL(callbackUrl);
    tampered.searchParams.set('state', 'not-the-state-we-sent');
    const answer = await fetch(tampered, { redirect: 'manual' });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
    expect(await answer.json()).toEqual({ error: 'invalid_state' });
    expect(await fork().count(OAuthCode, {})).toBe(codesBefore);
  });

  it('refuses a replayed state: the second callback redirects with #error=invalid_state', async () => {
    const flow = await webFlow(account(uniqueEmail('replay-state')));
    expect(flow.fragment.has('code')).toBe(true);
    const again = await fetch(flow.callbackUrl, { redirect: 'manual' });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(`${DONE}#error=invalid_state`);
  });

  it('refuses an expired state', async () => {
    const started = await begin();
    const authorizationUrl = started.body.data?.beginSocialSignIn.authorizationUrl as string;
    const state = new URL(authorizationUrl).searchParams.get('state')!;
    const callbackUrl = await authorizeAtProvider(authorizationUrl, account(uniqueEmail('late')));
    await fork().nativeUpdate(
      OAuthRequest,
      { stateHash: sha256Hex(state) },
      { expiresAt: new Date(Date.now() - 1000) },
    );
    const answer = await fetch(callbackUrl, { redirect: 'manual' });
    expect(answer.headers.get('location')).toBe(`${DONE}#error=invalid_state`);
  });

  describe('ID tokens the callback must refuse (re-signed by the provider key with one claim changed)', () => {
    const cases: Array<[string, (claims: JWTPayload) => JWTPayload]> = [
      ['a wrong nonce', (c) => ({ ...c, nonce: 'another-nonce' })],
      ['another audience', (c) => ({ ...c, aud: 'someone-else' })],
      [
        'an expired token',
        (c) => ({
          ...c,
          iat: Math.floor(Date.now() / 1000) - 7200,
          exp: Math.floor(Date.now() / 1000) - 3600,
        }),
      ],
      ['another issuer', (c) => ({ ...c, iss: 'https://evil.example' })],
    ];
    it.each(cases)('refuses %s with #error=invalid_id_token and signs nobody in', async (_name, change) => {
      const email = uniqueEmail('tampered');
      idp.tamper = change;
      try {
        const flow = await webFlow(account(email));
        expect(flow.location).toBe(`${DONE}#error=invalid_id_token`);
      } finally {
        idp.tamper = null;
      }
      expect(await fork().count(User, { email })).toBe(0);
    });
  });

  it('redirects with #error=access_denied when the user refuses consent, never with the provider text', async () => {
    const flow = await webFlow(account(uniqueEmail('denied')), 'local', { consent: false });
    expect(flow.location).toBe(`${DONE}#error=access_denied`);
  });

  it('refuses an unlisted redirectTo, and accepts an allowed app scheme', async () => {
    for (const redirectTo of [
      'https://evil.example/x',
      'javascript:alert(1)',
      'https://app.example@evil.example/',
      'com.evil.app:/cb',
    ]) {
      const response = await begin('local', redirectTo);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(response.body.data?.beginSocialSignIn ?? null).toBeNull();
    }
    const app = await begin('local', 'com.example.app:/oauth');
    expect(app.body.data?.beginSocialSignIn.authorizationUrl).toContain('state=');
    const unknown = await begin('nope');
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a replayed Plinto code, and one older than 60 seconds', async () => {
    const flow = await webFlow(account(uniqueEmail('replay-code')));
    const code = flow.fragment.get('code')!;
    expect((await completeWith(code, flow.binding)).__typename).toBe('SignInSuccess');
    expect(await completeWith(code, flow.binding)).toEqual(
      expect.objectContaining({ __typename: 'InvalidToken', code: 'INVALID_TOKEN' }),
    );
    const late = await webFlow(account(uniqueEmail('late-code')));
    const lateCode = late.fragment.get('code')!;
    const row = await fork().findOneOrFail(OAuthCode, { codeHash: sha256Hex(lateCode) });
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(60_000);
    await fork().nativeUpdate(
      OAuthCode,
      { codeHash: sha256Hex(lateCode) },
      { expiresAt: new Date(Date.now() - 1) },
    );
    expect((await completeWith(lateCode, late.binding)).__typename).toBe('InvalidToken');
  });

  describe('signInWithIdToken (tokens signed with the provider key its JWKS publishes)', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const claims = (nonce: string, email: string, extra: JWTPayload = {}): JWTPayload => ({
      iss: idp.issuer,
      sub: newSubject(),
      aud: 'native-app',
      iat: now(),
      exp: now() + 600,
      nonce: sha256Hex(nonce),
      email,
      email_verified: true,
      ...extra,
    });
    const native = async (idToken: string, nonce: string, provider = 'local') =>
      (await gql(url(), ID_TOKEN, { provider, idToken, nonce })).body.data?.signInWithIdToken;

    it('signs in with a right token, once: the same token and nonce again is refused', async () => {
      const nonce = `nonce-${newSubject()}-0123456789`;
      const email = uniqueEmail('native');
      const token = await idp.signIdToken(claims(nonce, email));
      const result = await native(token, nonce);
      expect(result.__typename).toBe('SignInSuccess');
      expect(result.user.email).toBe(email);
      expect(await native(token, nonce)).toEqual(
        expect.objectContaining({ __typename: 'InvalidToken', code: 'INVALID_TOKEN' }),
      );
    });

    it('keeps a native token’s replay record while the token could still be accepted (exp plus the clock tolerance)', async () => {
      const nonce = `nonce-${newSubject()}-0123456789`;
      // Expired 5 s ago: still inside the 30 s clock tolerance, so accepted once.
      const payload = claims(nonce, uniqueEmail('tolerance'), { iat: now() - 60, exp: now() - 5 });
      const token = await idp.signIdToken(payload);
      expect((await native(token, nonce)).__typename).toBe('SignInSuccess');
      const [record] = await fork().find(
        OAuthRequest,
        { provider: 'local', redirectTo: '' },
        { orderBy: { createdAt: 'desc' }, limit: 1 },
      );
      // A record swept at exp would let the same token in again for the rest of the tolerance.
      expect(record!.expiresAt.getTime()).toBeGreaterThanOrEqual(((payload.exp as number) + 30) * 1000);
      expect((await native(token, nonce)).__typename).toBe('InvalidToken');
    });

    const refusals: Array<[string, (nonce: string) => JWTPayload, string?]> = [
      ['a wrong audience', (n) => claims(n, uniqueEmail('aud'), { aud: 'someone-else' })],
      [
        'the web client as audience of another provider entry',
        (n) => claims(n, uniqueEmail('aud2'), { aud: 'plinto-untrusted' }),
      ],
      ['a wrong nonce', (n) => claims(n, uniqueEmail('nonce'), { nonce: sha256Hex(`${n}x`) })],
      ['the raw nonce instead of its hash', (n) => claims(n, uniqueEmail('raw'), { nonce: n })],
      ['a wrong issuer', (n) => claims(n, uniqueEmail('iss'), { iss: 'https://evil.example' })],
      ['an expired token', (n) => claims(n, uniqueEmail('exp'), { iat: now() - 7200, exp: now() - 3600 })],
    ];
    it.each(refusals)('answers InvalidToken for %s', async (_name, make) => {
      const nonce = `nonce-${newSubject()}-0123456789`;
      const payload = make(nonce);
      expect(await native(await idp.signIdToken(payload), nonce)).toMatchObject({
        __typename: 'InvalidToken',
        code: 'INVALID_TOKEN',
      });
      expect(await fork().count(User, { email: payload.email as string })).toBe(0);
    });

    it('refuses a token signed by a key the provider does not publish (unknown kid, after a fresh JWKS fetch)', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const nonce = `nonce-${newSubject()}-0123456789`;
      const payload = claims(nonce, uniqueEmail('forged'));
      const forged = await new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid: 'not-published' })
        .sign(privateKey);
      expect((await native(forged, nonce)).__typename).toBe('InvalidToken');
    });
  });

  describe('the typed client', () => {
    it('runs the web redirect (begin → navigate → read #code → complete) and lists the identity', async () => {
      const client = new PlintoClient({ url: `${url()}/graphql` });
      const email = uniqueEmail('client-web');
      let navigatedTo = '';
      await client.redirectToProvider('local', DONE, (target) => (navigatedTo = target));
      const callbackUrl = await authorizeAtProvider(navigatedTo, account(email));
      const answer = await fetch(callbackUrl, { redirect: 'manual' });
      const result = await client.completeSocialRedirect(new URL(answer.headers.get('location')!).hash);
      expect(result && '__typename' in result && result.__typename).toBe('SignInSuccess');
      expect((await client.me()).email).toBe(email);
      expect((await client.identities()).map((i) => [i.provider, i.email])).toEqual([['local', email]]);
      expect(await client.completeSocialRedirect('#error=access_denied')).toEqual({ error: 'access_denied' });
    });

    it('signs in with a native ID token and the nonce createIdTokenNonce made', async () => {
      const client = new PlintoClient({ url: `${url()}/graphql` });
      const { nonce, hashedNonce } = await createIdTokenNonce();
      const email = uniqueEmail('client-native');
      const now = Math.floor(Date.now() / 1000);
      const idToken = await idp.signIdToken({
        iss: idp.issuer,
        sub: newSubject(),
        aud: 'native-app',
        iat: now,
        exp: now + 600,
        nonce: hashedNonce,
        email,
        email_verified: true,
      });
      const result = await client.signInWithIdToken('local', idToken, nonce);
      expect(result.__typename).toBe('SignInSuccess');
      expect((await client.me()).email).toBe(email);
    });
  });

  describe('identities on the account', () => {
    it('lists, links (step-up) and unlinks (step-up, never the last way to sign in), with mails', async () => {
      const owner = await verifiedUser();
      const auth = bearer(owner.accessToken);
      expect((await gql(url(), IDENTITIES, {}, auth)).body.data?.identities).toEqual([]);
      const link = await gql(url(), LINK, { provider: 'untrusted', redirectTo: `${APP}/account` }, auth);
      expect(link.body.data?.linkIdentity.__typename).toBe('SocialAuthorization');
      const subject = account(uniqueEmail('elsewhere'));
      const callbackUrl = await authorizeAtProvider(link.body.data?.linkIdentity.authorizationUrl, subject);
      const answer = await fetch(callbackUrl, { redirect: 'manual' });
      const linkCode = fragmentOf(answer).fragment.get('link_code')!;
      expect(answer.headers.get('location')).toBe(`${APP}/account#link_code=${linkCode}`);
      // Nothing is linked until the user who began completes with the binding.
      expect((await gql(url(), IDENTITIES, {}, auth)).body.data?.identities).toEqual([]);
      const completed = await gql(
        url(),
        COMPLETE_LINK,
        { code: linkCode, binding: link.body.data?.linkIdentity.binding },
        auth,
      );
      expect(completed.body.data?.completeLinkIdentity).toEqual({
        __typename: 'IdentityLinked',
        provider: 'untrusted',
        identities: [{ provider: 'untrusted' }],
      });
      const listed = (await gql(url(), IDENTITIES, {}, auth)).body.data?.identities;
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ provider: 'untrusted', providerName: 'Untrusted ID' });
      await ctx.smtp.waitFor(owner.email, /sign-in provider was linked/);
      // The linked identity now signs the owner in, whatever email it carries.
      const viaProvider = await signInThroughProvider(subject, 'untrusted');
      expect(viaProvider.user.id).toBe(owner.userId);

      const unlinked = await gql(url(), UNLINK, { id: listed[0].id }, auth);
      expect(unlinked.body.data?.unlinkIdentity).toEqual({ __typename: 'IdentityUnlinked', identities: [] });
      await ctx.smtp.waitFor(owner.email, /sign-in provider was unlinked/);
      const unlinkedEvents = await fork().count(AuditEvent, {
        userId: owner.userId,
        kind: 'identity_unlinked',
      });
      expect(unlinkedEvents).toBe(1);
    });

    it('asks for a step-up when the session is not recent', async () => {
      const owner = await verifiedUser();
      await fork().nativeUpdate(
        Session,
        { id: owner.sessionId },
        // The step-up clock: the session's last primary authentication (and its sign-in).
        { createdAt: new Date(Date.now() - 3600_000), authenticatedAt: new Date(Date.now() - 3600_000) },
      );
      const auth = bearer(owner.accessToken);
      const link = await gql(url(), LINK, { provider: 'local', redirectTo: `${APP}/account` }, auth);
      expect(link.body.data?.linkIdentity).toEqual({
        __typename: 'StepUpRequired',
        code: 'STEP_UP_REQUIRED',
      });
    });

    it('never unlinks the last way to sign in of an account without a password', async () => {
      const email = uniqueEmail('only-social');
      const result = await signInThroughProvider(account(email));
      const auth = bearer(result.tokens.accessToken);
      const listed = (await gql(url(), IDENTITIES, {}, auth)).body.data?.identities as Array<{ id: string }>;
      expect(listed).toHaveLength(1);
      const unlinked = await gql(url(), UNLINK, { id: listed[0]!.id }, auth);
      expect(unlinked.body.data?.unlinkIdentity).toEqual({
        __typename: 'LastSignInMethod',
        code: 'LAST_SIGN_IN_METHOD',
      });
      expect((await gql(url(), ME, {}, auth)).body.data?.me.email).toBe(email);
    });

    it('refuses to link an identity that belongs to another account (IdentityInUse)', async () => {
      const subject = account(uniqueEmail('taken'));
      await signInThroughProvider(subject);
      const owner = await verifiedUser();
      const auth = bearer(owner.accessToken);
      const link = await gql(url(), LINK, { provider: 'local', redirectTo: `${APP}/account` }, auth);
      const callbackUrl = await authorizeAtProvider(link.body.data?.linkIdentity.authorizationUrl, subject);
      const answer = await fetch(callbackUrl, { redirect: 'manual' });
      const code = fragmentOf(answer).fragment.get('link_code')!;
      const completed = await gql(
        url(),
        COMPLETE_LINK,
        { code, binding: link.body.data?.linkIdentity.binding },
        auth,
      );
      expect(completed.body.data?.completeLinkIdentity).toEqual({
        __typename: 'IdentityInUse',
        code: 'IDENTITY_IN_USE',
      });
      expect(await fork().count(Identity, { user: owner.userId })).toBe(0);
    });
  });
});
