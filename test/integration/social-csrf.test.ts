import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlintoClient } from '../../client/src/index.js';
import { Identity, Session, User } from '../../src/storage/entities/index.js';
import { BACKENDS } from '../helpers/database.js';
import {
  bearer,
  gql,
  SIGN_IN_SUCCESS_FIELDS,
  SIGN_UP,
  signUpUser,
  STRONG_PASSWORD,
  uniqueEmail,
} from '../helpers/graphql.js';
import { authorizeAtProvider, startOidcProvider } from '../helpers/oidc-provider.js';
import type { LocalOidcProvider } from '../helpers/oidc-provider.js';
import { useServer } from '../helpers/use-server.js';

/**
 * The attacks on social sign-in's redirects, played over HTTP by an attacker against a victim:
 * login CSRF (the victim's browser or app made to finish the attacker's sign-in), account-link
 * CSRF (the victim's provider identity linked to the attacker's account, or the attacker's to the
 * victim's), state and code replays, a state used at another provider, and redirectTo tricks.
 * The defence: begin and linkIdentity hand their caller a binding; the callback decides nothing,
 * and the code it puts in `#code=` / `#link_code=` is redeemed only with that binding (and, for a
 * link, only by the user who began).
 */
const APP = 'https://app.example';
const DONE = `${APP}/signed-in`;
const BEGIN = `mutation Begin($provider: String!, $redirectTo: String!) {
  beginSocialSignIn(provider: $provider, redirectTo: $redirectTo) { authorizationUrl binding }
}`;
const COMPLETE = `mutation Complete($code: String!, $binding: String) {
  completeSocialSignIn(code: $code, binding: $binding) { ${SIGN_IN_SUCCESS_FIELDS} }
}`;
const LINK = `mutation Link($provider: String!, $redirectTo: String!) {
  linkIdentity(provider: $provider, redirectTo: $redirectTo) {
    __typename ... on SocialAuthorization { authorizationUrl binding } ... on UserError { code }
  }
}`;
const COMPLETE_LINK = `mutation CompleteLink($code: String!, $binding: String!) {
  completeLinkIdentity(code: $code, binding: $binding) {
    __typename ... on IdentityLinked { provider } ... on UserError { code }
  }
}`;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

let subjects = 0;
const newSubject = () => `csrf-${Date.now().toString(36)}-${(subjects += 1)}`;

describe.each(BACKENDS)('social sign-in attacked over HTTP (%s)', (backend) => {
  let idp: LocalOidcProvider;
  const overrides: Record<string, string> = {};
  /** A second server in the default, enumeration-safe SIGNUP_MODE=verify-first. */
  const verifyFirst: Record<string, string> = {};
  beforeAll(async () => {
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    const port2 = await freePort();
    const appUrl2 = `http://127.0.0.1:${port2}`;
    const callbacks = (id: string) => [`${appUrl}/oauth/callback/${id}`, `${appUrl2}/oauth/callback/${id}`];
    idp = await startOidcProvider([
      { client_id: 'plinto', client_secret: 'local-secret', redirect_uris: callbacks('local') },
      { client_id: 'plinto-other', client_secret: 'other-secret', redirect_uris: callbacks('other') },
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
          issuer: idp.issuer,
          clientId: 'plinto',
          clientSecret: 'local-secret',
          trustEmail: true,
        },
        { id: 'other', issuer: idp.issuer, clientId: 'plinto-other', clientSecret: 'other-secret' },
      ]),
    });
    Object.assign(verifyFirst, overrides, {
      PORT: String(port2),
      APP_URL: appUrl2,
      SIGNUP_MODE: 'verify-first',
    });
  });
  afterAll(async () => idp?.close());
  const ctx = useServer(backend, overrides);
  const safe = useServer(backend, verifyFirst);
  const url = () => ctx.server.url;
  const fork = () => ctx.server.app.services.orm.em.fork();

  const account = (email = uniqueEmail('idp')): string => {
    const subject = newSubject();
    idp.accounts.set(subject, { email, email_verified: true });
    return subject;
  };
  /** A browser that follows Plinto's callback (its own cookies: none of the attacker's). */
  const browserVisits = async (callbackUrl: string) => {
    const answer = await fetch(callbackUrl, { redirect: 'manual' });
    expect(answer.status).toBe(303);
    return new URL(answer.headers.get('location')!);
  };
  const fragment = (location: URL) => new URLSearchParams(location.hash.slice(1));
  const begin = async (provider = 'local', redirectTo = DONE) =>
    (await gql(url(), BEGIN, { provider, redirectTo })).body.data?.beginSocialSignIn as {
      authorizationUrl: string;
      binding: string;
    };
  const complete = async (code: string, binding?: string) =>
    (await gql(url(), COMPLETE, { code, binding })).body.data?.completeSocialSignIn;
  const recentUser = async () => {
    const user = await signUpUser(url(), uniqueEmail('member'));
    await fork().nativeUpdate(User, { id: user.userId }, { emailVerifiedAt: new Date() });
    return user;
  };

  it("login CSRF: the attacker's callback URL, followed in the victim's browser, signs the victim's app in to nothing", async () => {
    // The attacker begins and logs in at the provider with their own account, then stops before the callback.
    const attackerEmail = uniqueEmail('attacker');
    const attacker = await begin();
    const callbackUrl = await authorizeAtProvider(attacker.authorizationUrl, account(attackerEmail));
    // The victim's browser is made to open it (a link, an image, a redirect): the app page gets #code=.
    const landed = await browserVisits(callbackUrl);
    expect(landed.origin + landed.pathname).toBe(DONE);
    const code = fragment(landed).get('code')!;
    // The victim's app completes whatever comes back: without the attacker's binding it is refused,
    // whether the app began nothing (no binding) or began its own sign-in (its own binding).
    const victimApp = new PlintoClient({ url: `${url()}/graphql` });
    expect(await victimApp.completeSocialRedirect(landed.hash)).toMatchObject({ __typename: 'InvalidToken' });
    const victimOwn = await victimApp.beginSocialSignIn('local', DONE);
    expect(await complete(code, victimOwn.binding)).toMatchObject({ __typename: 'InvalidToken' });
    expect(await victimApp.me().catch(() => null)).toBeNull();
    // Nothing was made of the attacker's identity: no account, no session (completion never ran).
    expect(await fork().count(User, { email: attackerEmail })).toBe(0);
    expect(await fork().count(Session, { user: { email: attackerEmail } })).toBe(0);
  });

  it("login CSRF: a #code= the attacker obtained in their own browser is refused in the victim's app", async () => {
    const attacker = await begin();
    const landed = await browserVisits(await authorizeAtProvider(attacker.authorizationUrl, account()));
    const code = fragment(landed).get('code')!;
    // The attacker sends https://app.example/signed-in#code=… to the victim.
    const victim = await begin();
    expect(await complete(code, victim.binding)).toMatchObject({ __typename: 'InvalidToken' });
    expect(await complete(code)).toMatchObject({ __typename: 'InvalidToken' });
    expect(await complete(code, '')).toMatchObject({ __typename: 'InvalidToken' });
    // Refusals leave it unused: the binding, and only the binding, was missing.
    expect(await complete(code, attacker.binding)).toMatchObject({ __typename: 'SignInSuccess' });
    expect(await complete(code, attacker.binding)).toMatchObject({ __typename: 'InvalidToken' });
  });

  it("account-link CSRF: the attacker's link, finished at the provider by the victim, links the victim's identity to nobody", async () => {
    const attacker = await recentUser();
    const started = await gql(
      url(),
      LINK,
      { provider: 'local', redirectTo: `${APP}/account` },
      bearer(attacker.accessToken),
    );
    const attackerLink = started.body.data?.linkIdentity as { authorizationUrl: string; binding: string };
    // The victim is lured to the authorization URL and logs in with their own provider account.
    const victimSubject = account();
    const landed = await browserVisits(
      await authorizeAtProvider(attackerLink.authorizationUrl, victimSubject),
    );
    const code = fragment(landed).get('link_code')!;
    expect(code).toBeTruthy();
    // Nothing was linked at the callback; the victim's app (signed in as the victim) cannot complete it...
    expect(await fork().count(Identity, { subject: victimSubject })).toBe(0);
    const victim = await recentUser();
    const byVictim = await gql(
      url(),
      COMPLETE_LINK,
      { code, binding: 'v'.repeat(43) },
      bearer(victim.accessToken),
    );
    expect(byVictim.body.data?.completeLinkIdentity).toEqual({
      __typename: 'InvalidToken',
      code: 'INVALID_TOKEN',
    });
    // ...nor with the attacker's binding under the victim's session (the link is the beginner's only).
    const mixed = await gql(
      url(),
      COMPLETE_LINK,
      { code, binding: attackerLink.binding },
      bearer(victim.accessToken),
    );
    expect(mixed.body.data?.completeLinkIdentity.__typename).toBe('InvalidToken');
    expect(await fork().count(Identity, { subject: victimSubject })).toBe(0);
    // The code stayed in the victim's browser: the attacker never holds it, and without it has nothing.
    expect(await fork().count(Identity, { user: attacker.userId })).toBe(0);
  });

  it("account-link CSRF: the attacker's own link callback, followed by the victim's browser and app, links nothing to the victim", async () => {
    const attacker = await recentUser();
    const started = await gql(
      url(),
      LINK,
      { provider: 'local', redirectTo: `${APP}/account` },
      bearer(attacker.accessToken),
    );
    const attackerSubject = account();
    const callbackUrl = await authorizeAtProvider(
      started.body.data?.linkIdentity.authorizationUrl,
      attackerSubject,
    );
    const landed = await browserVisits(callbackUrl);
    const victim = await recentUser();
    const victimApp = new PlintoClient({ url: `${url()}/graphql` });
    expect((await victimApp.signIn({ email: victim.email, password: STRONG_PASSWORD })).__typename).toBe(
      'SignInSuccess',
    );
    const answer = await victimApp.completeSocialRedirect(landed.hash);
    expect(answer).toMatchObject({ __typename: 'InvalidToken' });
    expect(await fork().count(Identity, { user: victim.userId })).toBe(0);
    expect(await fork().count(Identity, { subject: attackerSubject })).toBe(0);
  });

  it('a link code is redeemed only by the user who began, with the binding; a sign-in code never links (and back)', async () => {
    const owner = await recentUser();
    const started = await gql(
      url(),
      LINK,
      { provider: 'other', redirectTo: `${APP}/account` },
      bearer(owner.accessToken),
    );
    const link = started.body.data?.linkIdentity as { authorizationUrl: string; binding: string };
    const subject = account();
    const linkCode = fragment(
      await browserVisits(await authorizeAtProvider(link.authorizationUrl, subject)),
    ).get('link_code')!;
    // As a sign-in code, even with the right binding: refused (another purpose).
    expect(await complete(linkCode, link.binding)).toMatchObject({ __typename: 'InvalidToken' });
    const signIn = await begin();
    const signInCode = fragment(
      await browserVisits(await authorizeAtProvider(signIn.authorizationUrl, account())),
    ).get('code')!;
    const asLink = await gql(
      url(),
      COMPLETE_LINK,
      { code: signInCode, binding: signIn.binding },
      bearer(owner.accessToken),
    );
    expect(asLink.body.data?.completeLinkIdentity.__typename).toBe('InvalidToken');
    // Unauthenticated: no completion at all.
    const anonymous = await gql(url(), COMPLETE_LINK, { code: linkCode, binding: link.binding });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // The owner, with the binding: linked, once.
    const done = await gql(
      url(),
      COMPLETE_LINK,
      { code: linkCode, binding: link.binding },
      bearer(owner.accessToken),
    );
    expect(done.body.data?.completeLinkIdentity).toEqual({ __typename: 'IdentityLinked', provider: 'other' });
    const again = await gql(
      url(),
      COMPLETE_LINK,
      { code: linkCode, binding: link.binding },
      bearer(owner.accessToken),
    );
    expect(again.body.data?.completeLinkIdentity.__typename).toBe('InvalidToken');
    expect((await fork().findOneOrFail(Identity, { subject })).user.id).toBe(owner.userId);
  });

  it('refuses a link intent without a session, and without a recent authentication', async () => {
    const anonymous = await gql(url(), LINK, { provider: 'local', redirectTo: `${APP}/account` });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const stale = await recentUser();
    const old = new Date(Date.now() - 3600_000);
    await fork().nativeUpdate(Session, { id: stale.sessionId }, { createdAt: old, authenticatedAt: old });
    const link = await gql(
      url(),
      LINK,
      { provider: 'local', redirectTo: `${APP}/account` },
      bearer(stale.accessToken),
    );
    expect(link.body.data?.linkIdentity).toEqual({ __typename: 'StepUpRequired', code: 'STEP_UP_REQUIRED' });
  });

  it("refuses a state at another provider's callback (400), and it still works at its own", async () => {
    const started = await begin('local');
    const callbackUrl = new URL(await authorizeAtProvider(started.authorizationUrl, account()));
    const elsewhere = new URL(callbackUrl);
    elsewhere.pathname = '/oauth/callback/other';
    const crossed = await fetch(elsewhere, { redirect: 'manual' });
    expect(crossed.status).toBe(400);
    expect(await crossed.json()).toEqual({ error: 'invalid_state' });
    const landed = await browserVisits(callbackUrl.href);
    expect(await complete(fragment(landed).get('code')!, started.binding)).toMatchObject({
      __typename: 'SignInSuccess',
    });
  });

  it('of two callbacks racing with one state, exactly one yields a code', async () => {
    const started = await begin();
    const callbackUrl = await authorizeAtProvider(started.authorizationUrl, account());
    const answers = await Promise.all([1, 2, 3].map(() => browserVisits(callbackUrl)));
    const codes = answers.map((landed) => fragment(landed).get('code')).filter(Boolean);
    expect(codes).toHaveLength(1);
    expect(answers.map((landed) => fragment(landed).get('error')).filter(Boolean)).toEqual([
      'invalid_state',
      'invalid_state',
    ]);
  });

  it('refuses redirectTo tricks at begin and at linkIdentity: disguised hosts, protocol-relative, scripts, encodings', async () => {
    const tricks = [
      'https://app.example@evil.example/',
      'https://app.example:443@evil.example/',
      'https://app.example%40evil.example/',
      'https://app.example%2F@evil.example/',
      'https://app.example.evil.example/',
      'https://evil.example/#https://app.example',
      'https://evil.example/?next=https://app.example',
      '//evil.example/',
      '/\\evil.example/',
      '\\\\evil.example/',
      'https:evil.example',
      'https:/evil.example',
      ' https://app.example/',
      'http://app.example/',
      'https://app.exаmple/',
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      '%6Aavascript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'com.example.app://user:pass@evil.example/',
      'com.evil.app:/cb',
      '/signed-in',
      '',
    ];
    const member = await recentUser();
    for (const redirectTo of tricks) {
      const signIn = await gql(url(), BEGIN, { provider: 'local', redirectTo });
      expect([redirectTo, signIn.body.errors?.[0]?.extensions?.code]).toEqual([redirectTo, 'BAD_USER_INPUT']);
      const link = await gql(url(), LINK, { provider: 'local', redirectTo }, bearer(member.accessToken));
      expect([redirectTo, link.body.errors?.[0]?.extensions?.code]).toEqual([redirectTo, 'BAD_USER_INPUT']);
    }
    // What does pass lands on the allowed origin (the parser's backslash is a path, not a host).
    for (const [redirectTo, lands] of [
      ['HTTPS://APP.EXAMPLE/signed-in', 'https://app.example'],
      ['https://app.example\\@evil.example/', 'https://app.example'],
      ['com.example.app:/oauth', 'com.example.app:'],
    ] as const) {
      const started = await begin('local', redirectTo);
      const landed = await browserVisits(await authorizeAtProvider(started.authorizationUrl, account()));
      expect(landed.protocol === 'com.example.app:' ? landed.protocol : landed.origin).toBe(lands);
    }
  });

  it('verify-first: an email the provider did not prove answers EmailNotVerified whether or not it has an account', async () => {
    const answerFor = async (email: string) => {
      const started = (await gql(safe.server.url, BEGIN, { provider: 'other', redirectTo: DONE })).body.data
        ?.beginSocialSignIn;
      const landed = await browserVisits(await authorizeAtProvider(started.authorizationUrl, account(email)));
      const code = fragment(landed).get('code');
      return (await gql(safe.server.url, COMPLETE, { code, binding: started.binding })).body.data
        ?.completeSocialSignIn;
    };
    // Someone's account, verified; the attacker's provider account carries its address.
    const taken = uniqueEmail('taken');
    await gql(safe.server.url, SIGN_UP, { email: taken, password: STRONG_PASSWORD });
    const owner = await safe.server.app.services.orm.em.fork().findOneOrFail(User, { email: taken });
    await safe.server.app.services.orm.em
      .fork()
      .nativeUpdate(User, { id: owner.id }, { emailVerifiedAt: new Date() });
    const existing = await answerFor(taken);
    const fresh = await answerFor(uniqueEmail('fresh'));
    expect(existing).toMatchObject({ __typename: 'EmailNotVerified', code: 'EMAIL_NOT_VERIFIED' });
    expect(fresh).toEqual(existing);
    expect(await safe.server.app.services.orm.em.fork().count(Identity, { user: owner.id })).toBe(0);
  });
});
