import {
  AuditLogDocument,
  ChangeEmailDocument,
  ConfirmEmailChangeDocument,
  UndoEmailChangeDocument,
  BeginPasskeyRegistrationDocument,
  BeginPasskeySignInDocument,
  BeginTotpEnrollmentDocument,
  FinishPasskeyRegistrationDocument,
  FinishPasskeySignInDocument,
  PasskeysDocument,
  RemovePasskeyDocument,
  RenamePasskeyDocument,
  ChangePasswordDocument,
  CompleteMfaSignInDocument,
  ConfirmTotpEnrollmentDocument,
  DisableTotpDocument,
  MeDocument,
  ReauthenticateDocument,
  RegenerateRecoveryCodesDocument,
  RequestEmailVerificationDocument,
  RequestMagicLinkDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  SignInWithMagicLinkDocument,
  VerifyEmailDocument,
  RefreshSessionDocument,
  RevokeSessionDocument,
  SessionsDocument,
  SignInDocument,
  SignOutDocument,
  SignOutEverywhereDocument,
  SignUpDocument,
  BeginSocialSignInDocument,
  CompleteLinkIdentityDocument,
  CompleteSocialSignInDocument,
  IdentitiesDocument,
  LinkIdentityDocument,
  SignInWithIdTokenDocument,
  SocialProvidersDocument,
  UnlinkIdentityDocument,
} from '../generated/graphql.js';
import type {
  ChangeEmailMutation,
  ConfirmEmailChangeMutation,
  UndoEmailChangeMutation,
  AuditLogQuery,
  BeginTotpEnrollmentMutation,
  DisableTotpMutation,
  ReauthenticateMutation,
  SignOutEverywhereMutation,
  BeginPasskeyRegistrationMutation,
  FinishPasskeyRegistrationMutation,
  FinishPasskeySignInMutation,
  PasskeysQuery,
  RemovePasskeyMutation,
  RenamePasskeyMutation,
  ChangePasswordMutation,
  CompleteMfaSignInMutation,
  ConfirmTotpEnrollmentMutation,
  MeQuery,
  RegenerateRecoveryCodesMutation,
  ResetPasswordMutation,
  SignInWithMagicLinkMutation,
  VerifyEmailMutation,
  RefreshSessionMutation,
  SessionsQuery,
  SignInInput,
  SignInMutation,
  SignInSuccessFieldsFragment,
  SignUpInput,
  SignUpMutation,
  BeginSocialSignInMutation,
  CompleteLinkIdentityMutation,
  CompleteSocialSignInMutation,
  IdentitiesQuery,
  LinkIdentityMutation,
  SignInWithIdTokenMutation,
  SocialProvidersQuery,
  UnlinkIdentityMutation,
} from '../generated/graphql.js';
import { postGraphQL } from './graphql-request.js';
import { passkeyResponseJSON } from './passkeys.js';
import type { PasskeyCredential } from './passkeys.js';
import type { Document } from './graphql-request.js';
import { PlintoError } from './plinto-error.js';
import { MemoryTokenStore } from './token-store.js';
import type { StoredTokens, TokenStore } from './token-store.js';

/** What `reauthenticate` answers when the proof is refused. */
export type ReauthenticateRefusal = Exclude<
  ReauthenticateMutation['reauthenticate'],
  { __typename: 'Reauthenticated' }
>;

export interface PlintoClientOptions {
  /** The GraphQL endpoint, e.g. https://auth.example.com/graphql */
  url: string;
  fetch?: typeof fetch;
  tokenStore?: TokenStore;
  /** 'cookie' (browsers): the refresh token travels as an HttpOnly cookie; 'payload' (mobile, servers). */
  refreshTransport?: 'payload' | 'cookie';
  headers?: Record<string, string>;
  /** Called after every refresh attempt, with its outcome. */
  onRefresh?: (succeeded: boolean) => void;
  /**
   * Called once when the server refuses a refresh (session expired, revoked, refresh token
   * reused): the client has cleared its tokens; send the user to sign in.
   */
  onSignOut?: () => void;
}

/**
 * What Plinto's social callback put in the URL fragment of redirectTo: `#code=…` (trade it with
 * completeSocialSignIn within 60 seconds), `#link_code=…` (completeLinkIdentity) or
 * `#error=<code>` (access_denied, invalid_state, invalid_id_token, provider_error,
 * provider_unavailable, server_error). `{ linked }` is what completeSocialRedirect answers once a
 * link is done.
 */
export type SocialCallback = { code: string } | { linkCode: string } | { linked: string } | { error: string };

/** Where a web page keeps the binding between begin and the return from the provider (this tab only). */
const BINDING_KEY = 'plinto.social.binding';

/** Reads a social callback's fragment (`location.hash`); null when it is not one. */
export function readSocialCallback(hash: string): SocialCallback | null {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const code = params.get('code');
  if (code) return { code };
  const linkCode = params.get('link_code');
  if (linkCode) return { linkCode };
  const linked = params.get('linked');
  if (linked) return { linked };
  const error = params.get('error');
  if (error) return { error };
  return null;
}

/**
 * A nonce for native sign-in (Sign in with Apple, Google Sign-In): give `hashedNonce` to the
 * platform SDK (it ends up in the ID token), and `nonce` to signInWithIdToken.
 */
export async function createIdTokenNonce(): Promise<{ nonce: string; hashedNonce: string }> {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const nonce = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(nonce));
  const hashedNonce = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  return { nonce, hashedNonce };
}

/** A small fetch-based Plinto client for browsers, React Native and Node, built on the generated documents. */
export class PlintoClient {
  private readonly fetchImpl: typeof fetch;
  private readonly store: TokenStore;
  /** The binding of the social sign-in or link this client began (see keepBinding). */
  private socialBinding: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  /** The tokens as last read from or written to the store (undefined: not read yet). */
  private known: StoredTokens | null | undefined = undefined;

  constructor(private readonly options: PlintoClientOptions) {
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.store = options.tokenStore ?? new MemoryTokenStore();
  }

  /**
   * Runs any generated document. With a stored access token it is sent; when the server answers
   * UNAUTHENTICATED, the client refreshes once (one refresh in flight however many requests
   * failed together) and retries the request once.
   */
  async request<TResult, TVariables>(
    document: Document<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<TResult> {
    const sentWith = await this.accessToken();
    try {
      return await this.send(document, variables, sentWith);
    } catch (error) {
      if (!(error instanceof PlintoError) || error.code !== 'UNAUTHENTICATED' || sentWith === null)
        throw error;
      if (!(await this.refreshAfterUnauthenticated(sentWith))) throw error;
      return this.send(document, variables, await this.accessToken());
    }
  }

  /**
   * For a request sent with `sentWith` that the server answered UNAUTHENTICATED (also used by the
   * Apollo link and the urql exchange): true when a fresh access token is stored and the request
   * can be retried once. Another request may already have refreshed (then no second refresh);
   * concurrent callers share one refresh. False when the session has ended.
   */
  async refreshAfterUnauthenticated(sentWith: string): Promise<boolean> {
    const current = await this.accessToken();
    // Signed out meanwhile (a refused refresh, a sign-out): do not start another refresh.
    if (current === null) return false;
    if (current !== sentWith) return true;
    return this.refresh();
  }

  /** The access token to send now, or null when signed out. */
  async accessToken(): Promise<string | null> {
    return (await this.tokens())?.accessToken ?? null;
  }

  /**
   * The access token this client last read or stored, without waiting for the store: for
   * synchronous hooks (urql's addAuthToOperation). Call `accessToken()` once first to load it.
   */
  currentAccessToken(): string | null {
    return this.known?.accessToken ?? null;
  }

  /** Rotates the refresh token; concurrent callers share one refresh. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  async signUp(input: SignUpInput): Promise<SignUpMutation['signUp']> {
    const { signUp } = await this.send(SignUpDocument, { input }, null);
    if (signUp.__typename === 'SignInSuccess') await this.keep(signUp);
    return signUp;
  }

  async signIn(input: SignInInput): Promise<SignInMutation['signIn']> {
    const { signIn } = await this.send(SignInDocument, { input }, null);
    if (signIn.__typename === 'SignInSuccess') await this.keep(signIn);
    return signIn;
  }

  /** Second step of a sign-in that answered MfaChallenge. */
  async completeMfaSignIn(
    challengeToken: string,
    code: string,
  ): Promise<CompleteMfaSignInMutation['completeMfaSignIn']> {
    const { completeMfaSignIn } = await this.send(CompleteMfaSignInDocument, { challengeToken, code }, null);
    if (completeMfaSignIn.__typename === 'SignInSuccess') await this.keep(completeMfaSignIn);
    return completeMfaSignIn;
  }

  async verifyEmail(token: string): Promise<VerifyEmailMutation['verifyEmail']> {
    const { verifyEmail } = await this.send(VerifyEmailDocument, { token }, null);
    if (verifyEmail.__typename === 'SignInSuccess') await this.keep(verifyEmail);
    return verifyEmail;
  }

  async signInWithMagicLink(token: string): Promise<SignInWithMagicLinkMutation['signInWithMagicLink']> {
    const { signInWithMagicLink } = await this.send(SignInWithMagicLinkDocument, { token }, null);
    if (signInWithMagicLink.__typename === 'SignInSuccess') await this.keep(signInWithMagicLink);
    return signInWithMagicLink;
  }

  /** These three always answer true: the answer never says whether the address is registered. */
  async requestEmailVerification(email: string): Promise<boolean> {
    return (await this.send(RequestEmailVerificationDocument, { email }, null)).requestEmailVerification;
  }

  async requestPasswordReset(email: string): Promise<boolean> {
    return (await this.send(RequestPasswordResetDocument, { email }, null)).requestPasswordReset;
  }

  async requestMagicLink(email: string): Promise<boolean> {
    return (await this.send(RequestMagicLinkDocument, { email }, null)).requestMagicLink;
  }

  async resetPassword(token: string, newPassword: string): Promise<ResetPasswordMutation['resetPassword']> {
    return (await this.send(ResetPasswordDocument, { token, newPassword }, null)).resetPassword;
  }

  /** Step-up: answers StepUpRequired when the session's last authentication is not recent. */
  async changeEmail(newEmail: string): Promise<ChangeEmailMutation['changeEmail']> {
    return (await this.request(ChangeEmailDocument, { newEmail })).changeEmail;
  }

  /** The link mailed to the new address (no session needed). */
  async confirmEmailChange(token: string): Promise<ConfirmEmailChangeMutation['confirmEmailChange']> {
    return (await this.send(ConfirmEmailChangeDocument, { token }, null)).confirmEmailChange;
  }

  /** The undo link mailed to the old address: every session ends (this one too, if any). */
  async undoEmailChange(token: string): Promise<UndoEmailChangeMutation['undoEmailChange']> {
    return (await this.send(UndoEmailChangeDocument, { token }, null)).undoEmailChange;
  }

  async changePassword(
    currentPassword: string,
    newPassword: string,
    signOutOtherSessions = true,
  ): Promise<ChangePasswordMutation['changePassword']> {
    return (
      await this.request(ChangePasswordDocument, { currentPassword, newPassword, signOutOtherSessions })
    ).changePassword;
  }

  async beginTotpEnrollment(): Promise<BeginTotpEnrollmentMutation['beginTotpEnrollment']> {
    return (await this.request(BeginTotpEnrollmentDocument)).beginTotpEnrollment;
  }

  async confirmTotpEnrollment(code: string): Promise<ConfirmTotpEnrollmentMutation['confirmTotpEnrollment']> {
    return (await this.request(ConfirmTotpEnrollmentDocument, { code })).confirmTotpEnrollment;
  }

  /** True when TOTP was turned off, false for a wrong code. Throws PlintoError STEP_UP_REQUIRED (see withStepUp). */
  async disableTotp(code: string): Promise<DisableTotpMutation['disableTotp']> {
    return (await this.request(DisableTotpDocument, { code })).disableTotp;
  }

  /**
   * Step-up: proves the password (or a TOTP or recovery code) again. On success the new access
   * token (its `auth_time` is now) replaces the stored one; the refresh token stays.
   */
  async reauthenticate(
    proof: { password: string } | { code: string },
  ): Promise<ReauthenticateMutation['reauthenticate']> {
    const result = (
      await this.request(ReauthenticateDocument, {
        password: 'password' in proof ? proof.password : null,
        code: 'code' in proof ? proof.code : null,
      })
    ).reauthenticate;
    if (result.__typename === 'Reauthenticated') {
      const stored = await this.tokens();
      await this.save({ accessToken: result.accessToken, refreshToken: stored?.refreshToken ?? null });
    }
    return result;
  }

  /**
   * Runs a sensitive mutation with step-up: when it answers `StepUpRequired` (the union member of
   * union-typed mutations) or throws `PlintoError` with code `STEP_UP_REQUIRED` (beginTotpEnrollment,
   * disableTotp, signOutEverywhere, whose contract types are not unions), asks the user through
   * `askProof` (their password, or a code; null = the user cancelled), calls `reauthenticate` and
   * runs the mutation once more. A refused proof is asked for again (at most `attempts` times); then
   * the first answer is returned (or its error thrown) as it was, or the reauthenticate refusal.
   *
   *   const result = await plinto.withStepUp(() => plinto.disableTotp(code), askPasswordDialog);
   */
  async withStepUp<T>(
    run: () => Promise<T>,
    askProof: (
      refusal: ReauthenticateRefusal | null,
    ) => Promise<{ password: string } | { code: string } | null>,
    attempts = 3,
  ): Promise<T | ReauthenticateRefusal> {
    let giveUp: () => T;
    try {
      const first = await run();
      const typename = (first as { __typename?: unknown } | null)?.__typename;
      if (typename !== 'StepUpRequired') return first;
      giveUp = () => first;
    } catch (error) {
      if (!(error instanceof PlintoError && error.code === 'STEP_UP_REQUIRED')) throw error;
      giveUp = () => {
        throw error;
      };
    }
    let refusal: ReauthenticateRefusal | null = null;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const proof = await askProof(refusal);
      if (!proof) return giveUp();
      const result = await this.reauthenticate(proof);
      if (result.__typename === 'Reauthenticated') return run();
      refusal = result;
      // Locked: asking again cannot help until retryAfterSeconds has passed.
      if (result.__typename === 'TooManyAttempts') return result;
    }
    return refusal ?? giveUp();
  }

  async regenerateRecoveryCodes(
    code: string,
  ): Promise<RegenerateRecoveryCodesMutation['regenerateRecoveryCodes']> {
    return (await this.request(RegenerateRecoveryCodesDocument, { code })).regenerateRecoveryCodes;
  }

  async auditLog(first = 20, after?: string): Promise<AuditLogQuery['auditLog']> {
    return (await this.request(AuditLogDocument, { first, after })).auditLog;
  }

  async me(): Promise<MeQuery['me']> {
    return (await this.request(MeDocument)).me;
  }

  async sessions(): Promise<SessionsQuery['sessions']> {
    return (await this.request(SessionsDocument)).sessions;
  }

  async revokeSession(id: string): Promise<boolean> {
    return (await this.request(RevokeSessionDocument, { id })).revokeSession;
  }

  async signOut(): Promise<boolean> {
    try {
      return (await this.request(SignOutDocument)).signOut;
    } finally {
      await this.save(null);
    }
  }

  /** How many sessions ended. Throws PlintoError STEP_UP_REQUIRED (see withStepUp), keeping the tokens for the retry. */
  async signOutEverywhere(): Promise<SignOutEverywhereMutation['signOutEverywhere']> {
    const count = (await this.request(SignOutEverywhereDocument)).signOutEverywhere;
    await this.save(null);
    return count;
  }

  // ---- Passkeys (WebAuthn) ----
  // Options come as JSON objects (hand them to @simplewebauthn/browser's startRegistration /
  // startAuthentication as optionsJSON, or PublicKeyCredential.parse…OptionsFromJSON); answers may
  // be the PublicKeyCredential navigator.credentials returned, its JSON, or JSON text.

  /** Options for navigator.credentials.create(), or StepUpRequired (sign in again first). */
  async beginPasskeyRegistration(): Promise<
    | { __typename: 'PasskeyOptions'; options: Record<string, unknown> }
    | Extract<BeginPasskeyRegistrationMutation['beginPasskeyRegistration'], { __typename: 'StepUpRequired' }>
  > {
    const { beginPasskeyRegistration: result } = await this.request(BeginPasskeyRegistrationDocument);
    if (result.__typename === 'PasskeyOptions') {
      return { __typename: 'PasskeyOptions', options: JSON.parse(result.options) as Record<string, unknown> };
    }
    return result;
  }

  async finishPasskeyRegistration(
    credential: PasskeyCredential,
    name?: string,
  ): Promise<FinishPasskeyRegistrationMutation['finishPasskeyRegistration']> {
    const response = passkeyResponseJSON(credential);
    return (await this.request(FinishPasskeyRegistrationDocument, { response, name }))
      .finishPasskeyRegistration;
  }

  async passkeys(): Promise<PasskeysQuery['passkeys']> {
    return (await this.request(PasskeysDocument)).passkeys;
  }

  async renamePasskey(id: string, name: string): Promise<RenamePasskeyMutation['renamePasskey']> {
    return (await this.request(RenamePasskeyDocument, { id, name })).renamePasskey;
  }

  async removePasskey(id: string): Promise<RemovePasskeyMutation['removePasskey']> {
    return (await this.request(RemovePasskeyDocument, { id })).removePasskey;
  }

  /**
   * Options for navigator.credentials.get(). Without an email: any discoverable passkey (and
   * conditional UI, `mediation: 'conditional'`); with one: that account's passkeys.
   */
  async beginPasskeySignIn(email?: string): Promise<Record<string, unknown>> {
    const { beginPasskeySignIn } = await this.send(BeginPasskeySignInDocument, { email }, null);
    return JSON.parse(beginPasskeySignIn.options) as Record<string, unknown>;
  }

  /** Signs in with the authenticator's answer; the same result union as signIn. */
  async finishPasskeySignIn(
    credential: PasskeyCredential,
  ): Promise<FinishPasskeySignInMutation['finishPasskeySignIn']> {
    const response = passkeyResponseJSON(credential);
    const { finishPasskeySignIn } = await this.send(FinishPasskeySignInDocument, { response }, null);
    if (finishPasskeySignIn.__typename === 'SignInSuccess') await this.keep(finishPasskeySignIn);
    return finishPasskeySignIn;
  }

  // Social sign-in (issue 20): the web redirect (begin → navigate → read #code → complete) and native ID tokens.

  async socialProviders(): Promise<SocialProvidersQuery['socialProviders']> {
    return (await this.send(SocialProvidersDocument, {}, null)).socialProviders;
  }

  /**
   * The provider's authorization URL and the binding; redirectTo must be allowed by the server
   * (CORS_ORIGINS, OAUTH_REDIRECT_ALLOWLIST). The binding is kept (this tab's sessionStorage, or
   * memory) for completeSocialSignIn; a native app may also keep the returned one itself.
   */
  async beginSocialSignIn(
    provider: string,
    redirectTo: string,
  ): Promise<BeginSocialSignInMutation['beginSocialSignIn']> {
    const { beginSocialSignIn } = await this.send(BeginSocialSignInDocument, { provider, redirectTo }, null);
    this.keepBinding(beginSocialSignIn.binding);
    return beginSocialSignIn;
  }

  /** Web: begins and navigates to the provider (the browser leaves the page). */
  async redirectToProvider(
    provider: string,
    redirectTo: string,
    navigate: (url: string) => void = (url) => globalThis.location.assign(url),
  ): Promise<void> {
    navigate((await this.beginSocialSignIn(provider, redirectTo)).authorizationUrl);
  }

  /** `binding`: the one begin returned (default: the one this client kept). */
  async completeSocialSignIn(
    code: string,
    binding: string | null = this.takeBinding(),
  ): Promise<CompleteSocialSignInMutation['completeSocialSignIn']> {
    const { completeSocialSignIn } = await this.send(
      CompleteSocialSignInDocument,
      { code, binding: binding ?? '' },
      null,
    );
    if (completeSocialSignIn.__typename === 'SignInSuccess') await this.keep(completeSocialSignIn);
    return completeSocialSignIn;
  }

  /** linkIdentity's return (`#link_code=`): signed in as the user who began, with its binding. */
  async completeLinkIdentity(
    code: string,
    binding: string | null = this.takeBinding(),
  ): Promise<CompleteLinkIdentityMutation['completeLinkIdentity']> {
    return (await this.request(CompleteLinkIdentityDocument, { code, binding: binding ?? '' }))
      .completeLinkIdentity;
  }

  /**
   * Web, on the redirectTo page: reads the fragment and completes the sign-in. Returns null when
   * the fragment is not a social callback, `{ error }` for a callback error, else the result.
   */
  async completeSocialRedirect(
    hash: string,
  ): Promise<
    | CompleteSocialSignInMutation['completeSocialSignIn']
    | CompleteLinkIdentityMutation['completeLinkIdentity']
    | { error: string }
    | { linked: string }
    | null
  > {
    const callback = readSocialCallback(hash);
    if (!callback) return null;
    if ('code' in callback) return this.completeSocialSignIn(callback.code);
    if ('linkCode' in callback) {
      const result = await this.completeLinkIdentity(callback.linkCode);
      return result.__typename === 'IdentityLinked' ? { linked: result.provider } : result;
    }
    if ('error' in callback) this.takeBinding();
    return callback;
  }

  /** Native: the platform SDK's ID token and the raw nonce whose SHA-256 the SDK was given (createIdTokenNonce). */
  async signInWithIdToken(
    provider: string,
    idToken: string,
    nonce: string,
  ): Promise<SignInWithIdTokenMutation['signInWithIdToken']> {
    const { signInWithIdToken } = await this.send(
      SignInWithIdTokenDocument,
      { provider, idToken, nonce },
      null,
    );
    if (signInWithIdToken.__typename === 'SignInSuccess') await this.keep(signInWithIdToken);
    return signInWithIdToken;
  }

  async identities(): Promise<IdentitiesQuery['identities']> {
    return (await this.request(IdentitiesDocument)).identities;
  }

  /**
   * Step-up: answers StepUpRequired when the session is not recent; else navigate to
   * authorizationUrl (the binding is kept for completeLinkIdentity, like beginSocialSignIn's).
   */
  async linkIdentity(provider: string, redirectTo: string): Promise<LinkIdentityMutation['linkIdentity']> {
    const { linkIdentity } = await this.request(LinkIdentityDocument, { provider, redirectTo });
    if (linkIdentity.__typename === 'SocialAuthorization') this.keepBinding(linkIdentity.binding);
    return linkIdentity;
  }

  /** The social binding survives the trip to the provider in this tab's sessionStorage (memory elsewhere). */
  private keepBinding(binding: string): void {
    this.socialBinding = binding;
    try {
      globalThis.sessionStorage?.setItem(BINDING_KEY, binding);
    } catch {
      // No sessionStorage (native, private modes): memory only.
    }
  }

  private takeBinding(): string | null {
    let binding = this.socialBinding;
    try {
      binding = globalThis.sessionStorage?.getItem(BINDING_KEY) ?? binding;
      globalThis.sessionStorage?.removeItem(BINDING_KEY);
    } catch {
      // memory only
    }
    this.socialBinding = null;
    return binding;
  }

  async unlinkIdentity(id: string): Promise<UnlinkIdentityMutation['unlinkIdentity']> {
    return (await this.request(UnlinkIdentityDocument, { id })).unlinkIdentity;
  }

  /** Stores the tokens of a successful sign-in (also for flows run through `request`). */
  async keep(success: SignInSuccessFieldsFragment): Promise<void> {
    await this.save({ accessToken: success.tokens.accessToken, refreshToken: success.tokens.refreshToken });
  }

  async tokens(): Promise<StoredTokens | null> {
    this.known = await this.store.get();
    return this.known;
  }

  private async save(tokens: StoredTokens | null): Promise<void> {
    await this.store.set(tokens);
    this.known = tokens;
  }

  private async doRefresh(): Promise<boolean> {
    const stored = await this.tokens();
    const cookie = this.options.refreshTransport === 'cookie';
    if (!cookie && !stored?.refreshToken) return false;
    let result: RefreshSessionMutation['refreshSession'];
    try {
      result = (
        await this.send(RefreshSessionDocument, { refreshToken: cookie ? null : stored?.refreshToken }, null)
      ).refreshSession;
    } catch (error) {
      this.options.onRefresh?.(false);
      throw error;
    }
    const succeeded = result.__typename === 'SignInSuccess';
    if (result.__typename === 'SignInSuccess') await this.keep(result);
    else await this.save(null);
    this.options.onRefresh?.(succeeded);
    if (!succeeded) this.options.onSignOut?.();
    return succeeded;
  }

  private send<TResult, TVariables>(
    document: Document<TResult, TVariables>,
    variables: TVariables | undefined,
    accessToken: string | null,
  ): Promise<TResult> {
    const headers: Record<string, string> = { ...this.options.headers };
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    const cookie = this.options.refreshTransport === 'cookie';
    if (cookie) headers['x-refresh-token-transport'] = 'cookie';
    const credentials = cookie ? 'include' : 'same-origin';
    return postGraphQL({
      fetch: this.fetchImpl,
      url: this.options.url,
      document,
      variables,
      headers,
      credentials,
    });
  }
}
