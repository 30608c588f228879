import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import {
  AuditLogDocument,
  BeginTotpEnrollmentDocument,
  ChangePasswordDocument,
  CompleteMfaSignInDocument,
  ConfirmTotpEnrollmentDocument,
  DisableTotpDocument,
  MeDocument,
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
} from '../generated/graphql.js';
import type {
  AuditLogQuery,
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
} from '../generated/graphql.js';
import { PlintoError } from './plinto-error.js';
import { MemoryTokenStore } from './token-store.js';
import type { StoredTokens, TokenStore } from './token-store.js';

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
}

type Document<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & { toString(): string };

interface GraphQLBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; retryAfter?: number } }>;
}

/** A small fetch-based Plinto client for browsers, React Native and Node, built on the generated documents. */
export class PlintoClient {
  private readonly fetchImpl: typeof fetch;
  private readonly store: TokenStore;
  private refreshing: Promise<boolean> | null = null;

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
    const sentWith = (await this.store.get())?.accessToken ?? null;
    try {
      return await this.send(document, variables, sentWith);
    } catch (error) {
      if (!(error instanceof PlintoError) || error.code !== 'UNAUTHENTICATED' || sentWith === null)
        throw error;
      const current = (await this.store.get())?.accessToken ?? null;
      // Another request already refreshed while this one was in flight: just retry with the new token.
      const refreshed = current !== null && current !== sentWith ? true : await this.refresh();
      if (!refreshed) throw error;
      return this.send(document, variables, (await this.store.get())?.accessToken ?? null);
    }
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

  async changePassword(
    currentPassword: string,
    newPassword: string,
    signOutOtherSessions = true,
  ): Promise<ChangePasswordMutation['changePassword']> {
    return (
      await this.request(ChangePasswordDocument, { currentPassword, newPassword, signOutOtherSessions })
    ).changePassword;
  }

  async beginTotpEnrollment(): Promise<{ secret: string; otpauthUri: string }> {
    return (await this.request(BeginTotpEnrollmentDocument)).beginTotpEnrollment;
  }

  async confirmTotpEnrollment(code: string): Promise<ConfirmTotpEnrollmentMutation['confirmTotpEnrollment']> {
    return (await this.request(ConfirmTotpEnrollmentDocument, { code })).confirmTotpEnrollment;
  }

  async disableTotp(code: string): Promise<boolean> {
    return (await this.request(DisableTotpDocument, { code })).disableTotp;
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
      await this.store.set(null);
    }
  }

  async signOutEverywhere(): Promise<number> {
    try {
      return (await this.request(SignOutEverywhereDocument)).signOutEverywhere;
    } finally {
      await this.store.set(null);
    }
  }

  /** Stores the tokens of a successful sign-in (also for flows run through `request`). */
  async keep(success: SignInSuccessFieldsFragment): Promise<void> {
    await this.store.set({
      accessToken: success.tokens.accessToken,
      refreshToken: success.tokens.refreshToken,
    });
  }

  async tokens(): Promise<StoredTokens | null> {
    return this.store.get();
  }

  private async doRefresh(): Promise<boolean> {
    const stored = await this.store.get();
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
    if (result.__typename === 'SignInSuccess') await this.keep(result);
    else await this.store.set(null);
    this.options.onRefresh?.(result.__typename === 'SignInSuccess');
    return result.__typename === 'SignInSuccess';
  }

  private async send<TResult, TVariables>(
    document: Document<TResult, TVariables>,
    variables: TVariables | undefined,
    accessToken: string | null,
  ): Promise<TResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...this.options.headers };
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    if (this.options.refreshTransport === 'cookie') headers['x-refresh-token-transport'] = 'cookie';
    const response = await this.fetchImpl(this.options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
      credentials: this.options.refreshTransport === 'cookie' ? 'include' : 'same-origin',
    });
    let body: GraphQLBody<TResult>;
    try {
      body = (await response.json()) as GraphQLBody<TResult>;
    } catch {
      throw new PlintoError(
        'BAD_RESPONSE',
        `Unexpected response (HTTP ${response.status}).`,
        null,
        response.status,
      );
    }
    const first = body.errors?.[0];
    if (first) {
      const header = Number(response.headers.get('retry-after'));
      const retryAfter =
        first.extensions?.retryAfter ?? (Number.isFinite(header) && header > 0 ? header : null);
      throw new PlintoError(first.extensions?.code ?? 'UNKNOWN', first.message, retryAfter, response.status);
    }
    if (!body.data) throw new PlintoError('BAD_RESPONSE', 'The response had no data.', null, response.status);
    return body.data;
  }
}
