import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { OAuthProviderConfig } from '../../config/oauth-providers.js';
import type { AuthState } from '../../context.js';
import { InvalidInputError, ServiceBusyError } from '../../domain-errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { KeyedHash } from '../../security/crypto.js';
import { randomToken, sha256Hex } from '../../security/crypto.js';
import { Identity, OAuthCode, OAuthRequest, User } from '../../storage/entities/index.js';
import { inTransaction } from '../../storage/transaction.js';
import { updateUser } from '../../storage/user-rows.js';
import type { ClientInfo } from '../client-info.js';
import type { CompleteSignIn, CompletedSignIn } from '../sign-in/complete-sign-in.js';
import type { SignInMethod, SignInProof } from '../sign-in/sign-in-method.js';
import type { StepUpService } from '../step-up.js';
import type { SocialAccounts, SocialRefusal } from './social-accounts.js';
import type {
  AuthorizationChecks,
  ProvenIdentity,
  SocialErrorCode,
  SocialProviders,
} from './social-providers.js';
import { CLOCK_TOLERANCE_SECONDS, SocialProviderError, nonceHash } from './social-providers.js';
import { requireSocialRedirect, withFragment } from './social-redirect.js';

/** beginSocialSignIn's state (and its PKCE verifier and nonce) lives ten minutes and is used once. */
export const SOCIAL_STATE_TTL_SECONDS = 600;
/** The Plinto code in the redirect's fragment lives a minute and is used once. */
export const SOCIAL_CODE_TTL_SECONDS = 60;

export interface SocialAuthorization {
  authorizationUrl: string;
  expiresAt: Date;
  /**
   * The binder: only its SHA-256 is kept (on the request, then on the Plinto code). Whoever began
   * keeps it (page script, native app memory) and must present it with the code
   * (completeSocialSignIn, completeLinkIdentity): a callback URL or a `#code=` handed to someone
   * else's browser or app is worth nothing there (login CSRF, account-link CSRF).
   */
  binding: string;
}

export interface CodeInput {
  code: string;
  binding: string;
}

export type LinkCompletion =
  { kind: 'linked'; provider: string } | { kind: 'identity-in-use' } | { kind: 'invalid-token' };

export type SocialSignInOutcome = CompletedSignIn | SocialRefusal;

export type UnlinkOutcome =
  | { kind: 'unlinked' }
  | { kind: 'step-up-required' }
  | { kind: 'last-sign-in-method' }
  | { kind: 'not-found' };

export interface IdentityView {
  id: string;
  provider: string;
  providerName: string;
  email: string | null;
  emailVerified: boolean;
  linkedAt: Date;
  lastUsedAt: Date | null;
}

/** Where the callback sends the browser: the app's redirectTo with `#code=…`, `#link_code=…` or `#error=…`. */
export interface CallbackAnswer {
  /** null: not even the request is known (no or unknown state): the callback answers 400 itself. */
  redirect: string | null;
  error: SocialErrorCode | null;
}

/**
 * Social sign-in (issue 20): begin (the authorization URL, with state, PKCE and nonce kept on the
 * server), the provider's callback (code exchange and ID token, then a one-minute Plinto code),
 * completion through CompleteSignIn, native ID tokens, and the identities of an account.
 */
export class SocialSignInService {
  readonly codeMethod: SignInMethod<CodeInput, SocialRefusal>;
  readonly idTokenMethod: SignInMethod<{ provider: string; idToken: string; nonce: string }, SocialRefusal>;

  constructor(
    private readonly providers: SocialProviders,
    private readonly accounts: SocialAccounts,
    private readonly completion: CompleteSignIn,
    private readonly stepUp: StepUpService,
    /** Derives the PKCE verifier and the nonce from the state: nothing secret is stored. */
    private readonly derive: KeyedHash,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly redirect: { origins: readonly string[]; schemes: readonly string[] },
  ) {
    for (const provider of providers.list()) {
      metrics.socialSignIns.inc({ provider: provider.id, result: 'success' }, 0);
      metrics.socialSignIns.inc({ provider: provider.id, result: 'failure' }, 0);
    }
    this.codeMethod = {
      name: 'social',
      auditKind: 'social_sign_in',
      prove: (em, input, client) => this.proveCode(em, input, client),
    };
    this.idTokenMethod = {
      name: 'social-id-token',
      auditKind: 'social_sign_in',
      prove: (em, input, client) => this.proveIdToken(em, input, client),
    };
  }

  list(): Array<{ id: string; name: string }> {
    return this.providers.list().map(({ id, name }) => ({ id, name }));
  }

  async begin(em: EntityManager, providerId: string, redirectTo: string): Promise<SocialAuthorization> {
    return this.start(em, this.requireProvider(providerId), redirectTo, 'sign-in', null);
  }

  /** linkIdentity: the same authorization, with a link intent bound to the signed-in user. */
  async beginLink(
    em: EntityManager,
    auth: AuthState,
    providerId: string,
    redirectTo: string,
  ): Promise<SocialAuthorization | { kind: 'step-up-required' }> {
    const provider = this.requireProvider(providerId);
    const target = this.requireRedirect(redirectTo);
    if (!(await this.stepUp.isRecent(em, auth))) return { kind: 'step-up-required' };
    return this.start(em, provider, target, 'link', auth.userId);
  }

  async complete(em: EntityManager, input: CodeInput, client: ClientInfo): Promise<SocialSignInOutcome> {
    return this.completion.run(em, this.codeMethod, input, client);
  }

  /**
   * linkIdentity's second half: the `#link_code=` of the callback, with the binder, by the same
   * signed-in user who began (step-up was checked then). The identity joins the account here, not
   * at the callback, so a callback URL delivered to another browser links nothing.
   */
  async completeLink(
    em: EntityManager,
    auth: AuthState,
    input: CodeInput,
    client: ClientInfo,
  ): Promise<LinkCompletion> {
    const row = await this.claimCode(em, input, { intent: 'link', userId: auth.userId });
    const provider = row ? this.providers.get(row.provider) : null;
    if (!row || !provider) return { kind: 'invalid-token' };
    const linked = await this.accounts.link(em, auth.userId, provider, row, client);
    if (linked.kind === 'identity-in-use') {
      this.countFailure(provider.id, 'identity_in_use');
      return linked;
    }
    this.metrics.socialSignIns.inc({ provider: provider.id, result: 'success' });
    return { kind: 'linked', provider: provider.id };
  }

  async signInWithIdToken(
    em: EntityManager,
    input: { provider: string; idToken: string; nonce: string },
    client: ClientInfo,
  ): Promise<SocialSignInOutcome> {
    this.requireProvider(input.provider);
    if (input.nonce.length < 16 || input.nonce.length > 256) {
      throw new InvalidInputError('The nonce must be 16 to 256 characters.', 'nonce');
    }
    if (input.idToken.length > 16_384) throw new InvalidInputError('The ID token is too long.', 'idToken');
    return this.completion.run(em, this.idTokenMethod, input, client);
  }

  /** GET/POST /oauth/callback/:provider. Never throws: every failure is a stable `#error=` code. */
  async callback(em: EntityManager, providerId: string, params: URLSearchParams): Promise<CallbackAnswer> {
    const provider = this.providers.get(providerId);
    const state = params.get('state');
    if (!provider || !state || state.length > 256) return this.fail(providerId, null, 'invalid_state');
    const stateHash = sha256Hex(state);
    const request = await em.findOne(OAuthRequest, { stateHash, provider: provider.id });
    if (!request) return this.fail(provider.id, null, 'invalid_state');
    const now = new Date();
    // Claimed atomically: of two callbacks with one state, exactly one goes on.
    const claimed = await em.nativeUpdate(
      OAuthRequest,
      { stateHash, usedAt: null, expiresAt: { $gt: now } },
      { usedAt: now },
    );
    if (claimed !== 1) return this.fail(provider.id, request.redirectTo, 'invalid_state');
    let proven: ProvenIdentity;
    try {
      proven = await this.providers.exchange(provider, params, this.checks(state));
    } catch (error) {
      const code = error instanceof SocialProviderError ? error.code : 'server_error';
      if (code === 'server_error' || code === 'provider_unavailable') {
        this.logger.warn(
          { provider: provider.id, error: (error as Error).name, code },
          'social sign-in callback failed',
        );
      }
      return this.fail(provider.id, request.redirectTo, code);
    }
    // Nothing is decided here: the code goes to redirectTo, and only the holder of the binder redeems it.
    const link = request.intent === 'link';
    const code = randomToken();
    await em.insert(OAuthCode, {
      codeHash: sha256Hex(code),
      provider: proven.provider,
      subject: proven.subject,
      email: proven.email,
      emailVerified: proven.emailVerified,
      intent: link ? 'link' : 'sign-in',
      userId: link ? request.userId : null,
      binderHash: request.binderHash,
      createdAt: now,
      expiresAt: new Date(now.getTime() + SOCIAL_CODE_TTL_SECONDS * 1000),
    });
    return { redirect: withFragment(request.redirectTo, link ? { link_code: code } : { code }), error: null };
  }

  async identities(em: EntityManager, userId: string): Promise<IdentityView[]> {
    const rows = await em.find(Identity, { user: userId }, { orderBy: { linkedAt: 'asc', id: 'asc' } });
    return rows.map((row) => ({
      id: row.id,
      provider: row.provider,
      providerName: this.providers.get(row.provider)?.name ?? row.provider,
      email: row.email,
      emailVerified: row.emailVerified,
      linkedAt: row.linkedAt,
      lastUsedAt: row.lastUsedAt,
    }));
  }

  /** Step-up, and never the last way to sign in (a password or another identity must remain). */
  async unlink(
    em: EntityManager,
    auth: AuthState,
    identityId: string,
    client: ClientInfo,
  ): Promise<UnlinkOutcome> {
    if (!(await this.stepUp.isRecent(em, auth))) return { kind: 'step-up-required' };
    return inTransaction(em, async (tx) => {
      // The user's row is written first: it locks the account, so two unlinks at once are counted
      // one after the other (each saw the other's identity and removed its own: none was left).
      if ((await updateUser(tx, auth.userId, {}, { updatedAt: new Date() })) === 0) {
        return { kind: 'not-found' } as const;
      }
      const identity = await tx.findOne(Identity, { id: identityId, user: auth.userId });
      if (!identity) return { kind: 'not-found' } as const;
      const user = await tx.findOneOrFail(User, { id: auth.userId });
      const others = await tx.count(Identity, { user: auth.userId, id: { $ne: identityId } });
      if (user.passwordHash === null && others === 0) return { kind: 'last-sign-in-method' } as const;
      await tx.nativeDelete(Identity, { id: identityId });
      await this.accounts.notifyUnlinked(
        tx,
        auth.userId,
        this.providers.get(identity.provider)?.name ?? identity.provider,
        client,
        identity,
      );
      return { kind: 'unlinked' } as const;
    });
  }

  private async start(
    em: EntityManager,
    provider: OAuthProviderConfig,
    redirectTo: string,
    intent: 'sign-in' | 'link',
    userId: string | null,
  ): Promise<SocialAuthorization> {
    const target = this.requireRedirect(redirectTo);
    const state = randomToken();
    const binding = randomToken();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + SOCIAL_STATE_TTL_SECONDS * 1000);
    let authorizationUrl: string;
    try {
      authorizationUrl = await this.providers.authorizationUrl(provider, this.checks(state));
    } catch (error) {
      const code = error instanceof SocialProviderError ? error.code : 'server_error';
      this.metrics.socialFailures.inc({ provider: provider.id, reason: code });
      this.logger.warn({ provider: provider.id, code }, 'social provider discovery failed');
      throw new ServiceBusyError('The sign-in provider cannot be reached right now; try again later.');
    }
    await em.insert(OAuthRequest, {
      stateHash: sha256Hex(state),
      provider: provider.id,
      intent,
      userId,
      redirectTo: target,
      binderHash: sha256Hex(binding),
      createdAt: now,
      expiresAt,
    });
    return { authorizationUrl, expiresAt, binding };
  }

  private checks(state: string): AuthorizationChecks {
    return {
      state,
      codeVerifier: this.derive.hex(`pkce|${state}`),
      nonce: this.derive.hex(`nonce|${state}`),
    };
  }

  private requireProvider(id: string): OAuthProviderConfig {
    const provider = this.providers.get(id);
    if (!provider) throw new InvalidInputError('Unknown sign-in provider.', 'provider');
    return provider;
  }

  private requireRedirect(value: string): string {
    return requireSocialRedirect(value, this.redirect);
  }

  private fail(provider: string, redirectTo: string | null, error: SocialErrorCode): CallbackAnswer {
    this.countFailure(provider, error);
    return { redirect: redirectTo ? withFragment(redirectTo, { error }) : null, error };
  }

  /** Per provider (only configured ones: a label per unknown id in a URL would grow the series forever). */
  private countFailure(provider: string, reason: string): void {
    if (!this.providers.get(provider)) return;
    this.metrics.socialSignIns.inc({ provider, result: 'failure' });
    this.metrics.socialFailures.inc({ provider, reason });
  }

  private async proveCode(
    em: EntityManager,
    input: CodeInput,
    client: ClientInfo,
  ): Promise<SignInProof | SocialRefusal> {
    const row = await this.claimCode(em, input, { intent: 'sign-in' });
    const provider = row ? this.providers.get(row.provider) : null;
    if (!row || !provider) return { kind: 'invalid-token', audit: 'failure' };
    return this.resolve(em, provider, row, client);
  }

  /**
   * Claims a Plinto code atomically (of two completions, one wins), only with its binder and for
   * its purpose: a wrong binder, intent or user leaves it unused and answers like an unknown code.
   */
  private async claimCode(
    em: EntityManager,
    input: CodeInput,
    purpose: { intent: 'sign-in' | 'link'; userId?: string },
  ): Promise<OAuthCode | null> {
    const { code, binding } = input;
    if (code.length > 256 || binding.length < 16 || binding.length > 256) return null;
    const codeHash = sha256Hex(code);
    const now = new Date();
    const claimed = await em.nativeUpdate(
      OAuthCode,
      {
        codeHash,
        binderHash: sha256Hex(binding),
        intent: purpose.intent,
        ...(purpose.userId ? { userId: purpose.userId } : {}),
        usedAt: null,
        expiresAt: { $gt: now },
      },
      { usedAt: now },
    );
    if (claimed !== 1) return null;
    return em.findOneOrFail(OAuthCode, { codeHash });
  }

  private async proveIdToken(
    em: EntityManager,
    input: { provider: string; idToken: string; nonce: string },
    client: ClientInfo,
  ): Promise<SignInProof | SocialRefusal> {
    const provider = this.requireProvider(input.provider);
    const hashed = nonceHash(input.nonce);
    let proven: ProvenIdentity & { expiresAt: Date };
    try {
      proven = await this.providers.verifyIdToken(provider, input.idToken, {
        audiences: provider.audiences,
        hashedNonce: hashed,
      });
    } catch (error) {
      const code = error instanceof SocialProviderError ? error.code : 'server_error';
      this.fail(provider.id, null, code);
      return { kind: 'invalid-token', audit: 'failure' };
    }
    // A nonce (and with it the token) counts once: a captured token cannot be replayed.
    try {
      await em.insert(OAuthRequest, {
        stateHash: sha256Hex(`id-token|${provider.id}|${hashed}`),
        provider: provider.id,
        intent: 'sign-in',
        redirectTo: '',
        createdAt: new Date(),
        // Kept while the token could still be accepted: its exp plus the clock tolerance (a record
        // swept at exp would let the token in again during the tolerance).
        expiresAt: new Date(proven.expiresAt.getTime() + CLOCK_TOLERANCE_SECONDS * 1000),
        usedAt: new Date(),
      });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      this.fail(provider.id, null, 'invalid_id_token');
      return { kind: 'invalid-token', audit: 'failure' };
    }
    return this.resolve(em, provider, proven, client);
  }

  private async resolve(
    em: EntityManager,
    provider: OAuthProviderConfig,
    proven: ProvenIdentity,
    client: ClientInfo,
  ): Promise<SignInProof | SocialRefusal> {
    const answer = await this.accounts.resolve(em, provider, proven, client);
    if (answer.kind === 'proven')
      this.metrics.socialSignIns.inc({ provider: provider.id, result: 'success' });
    else this.countFailure(provider.id, answer.kind.replaceAll('-', '_'));
    return answer;
  }
}
