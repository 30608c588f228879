import type { EntityManager } from '@mikro-orm/core';
import { updateUser } from '../storage/user-rows.js';
import type { AuthenticatorTransport, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { WebAuthnConfig } from '../config/webauthn-config.js';
import { webauthnLib } from './webauthn-lib.js';
import type { AuthState } from '../context.js';
import { InvalidInputError } from '../domain-errors.js';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { SecurityEventKind, SecurityEvents } from '../observability/security-events.js';
import type { KeyedHash } from '../security/crypto.js';
import { Passkey, User } from '../storage/entities/index.js';
import { inTransaction } from '../storage/transaction.js';
import type { ClientInfo } from './client-info.js';
import { requireEmail } from './email.js';
import { PASSKEY_CHALLENGE_TTL_SECONDS } from './passkey-challenges.js';
import type { PasskeyChallenges } from './passkey-challenges.js';
import { challengeOf, parseCredentialJson, userHandleOf } from './passkey-response.js';
import type { StepUpService } from './step-up.js';
import type { WebhookEmitter } from '../webhooks/webhook-outbox.js';
import { securityNotice } from '../mail/mail-jobs.js';

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  backupEligible: boolean;
  backedUp: boolean;
  transports: string[];
  aaguid: string;
}

export type StepUpNeeded = { kind: 'step-up-required'; maxAgeSeconds: number };
export type BeginRegistrationOutcome = { kind: 'options'; options: string } | StepUpNeeded;
export type FinishRegistrationOutcome =
  { kind: 'added'; passkey: PasskeyView } | { kind: 'invalid-response' };
export type RenameOutcome = { kind: 'renamed'; passkey: PasskeyView } | { kind: 'not-found' } | StepUpNeeded;
export type RemoveOutcome =
  { kind: 'removed'; id: string } | { kind: 'not-found' } | { kind: 'last-sign-in-method' } | StepUpNeeded;

/** The authenticator transports WebAuthn knows; anything else a client sends is dropped. */
const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);
export const MAX_PASSKEY_NAME_LENGTH = 100;
const DEFAULT_NAME = 'Passkey';
/** No account has a passkey with this owner: a lookup for an unknown address still runs its query. */
const NO_USER = '00000000-0000-0000-0000-000000000000';
const TIMEOUT_MS = PASSKEY_CHALLENGE_TTL_SECONDS * 1000;
/**
 * COSE algorithms accepted: EdDSA, ES256, RS256. Named (not the library's default) so the list does
 * not change with the Node version (post-quantum ML-DSA appears where the runtime has it).
 */
const ALGORITHMS = [-8, -7, -257];

export function toPasskeyView(passkey: Passkey): PasskeyView {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: passkey.createdAt,
    lastUsedAt: passkey.lastUsedAt,
    backupEligible: passkey.backupEligible,
    backedUp: passkey.backedUp,
    transports: passkey.transports ? passkey.transports.split(',') : [],
    aaguid: passkey.aaguid,
  };
}

function passkeyName(raw: string | null | undefined): string {
  const name = (raw ?? '').normalize('NFKC').trim();
  if (name.length === 0) return DEFAULT_NAME;
  if (name.length > MAX_PASSKEY_NAME_LENGTH || /[\p{Cc}\p{Cf}]/u.test(name)) {
    throw new InvalidInputError(
      `A passkey name is at most ${MAX_PASSKEY_NAME_LENGTH} printable characters.`,
      'name',
    );
  }
  return name;
}

export function cleanTransports(transports: unknown): string[] {
  if (!Array.isArray(transports)) return [];
  return [...new Set(transports.filter((t): t is string => typeof t === 'string' && TRANSPORTS.has(t)))];
}

export interface PasskeyServiceDeps {
  webauthn: WebAuthnConfig;
  challenges: PasskeyChallenges;
  stepUp: StepUpService;
  events: SecurityEvents;
  outbox: MailOutbox;
  /** Binds a sign-in challenge to the address it named (KeyedHash under AUTH_SECRET). */
  challengeEmailHash: KeyedHash;
  /** Derives the stable decoy credential ids for addresses without passkeys. */
  decoyIds: KeyedHash;
  /** passkey.added / passkey.removed, written in the change's transaction (issue 22). */
  webhooks?: WebhookEmitter;
}

/**
 * Passkeys of a signed-in user (register, list, rename, remove) and the first half of a passkey
 * sign-in (its options). The second half is a sign-in method (sign-in/passkey.method.ts).
 */
export class PasskeyService {
  constructor(private readonly deps: PasskeyServiceDeps) {}

  private async stepUpNeeded(em: EntityManager, auth: AuthState): Promise<StepUpNeeded | null> {
    if (await this.deps.stepUp.isRecent(em, auth)) return null;
    return { kind: 'step-up-required', maxAgeSeconds: this.deps.stepUp.maxAgeSeconds };
  }

  /** Options for navigator.credentials.create(); needs a recent authentication (step-up). */
  async beginRegistration(em: EntityManager, auth: AuthState): Promise<BeginRegistrationOutcome> {
    const stepUp = await this.stepUpNeeded(em, auth);
    if (stepUp) return stepUp;
    const user = await em.findOneOrFail(User, { id: auth.userId }, { fields: ['id', 'email'] });
    const existing = await em.find(
      Passkey,
      { user: auth.userId },
      { fields: ['credentialId', 'transports'] },
    );
    const challenge = await this.deps.challenges.issue(em, 'registration', { userId: auth.userId });
    const { generateRegistrationOptions } = await webauthnLib();
    const options = await generateRegistrationOptions({
      rpName: this.deps.webauthn.rpName,
      rpID: this.deps.webauthn.rpId,
      userName: user.email,
      userID: userHandleOf(user.id),
      userDisplayName: user.email,
      challenge: challenge.bytes,
      timeout: TIMEOUT_MS,
      attestationType: 'none',
      // The same authenticator twice would only be a second name for one key.
      excludeCredentials: existing.map((p) => ({
        id: p.credentialId,
        transports: p.transports ? (p.transports.split(',') as AuthenticatorTransport[]) : undefined,
      })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      supportedAlgorithmIDs: ALGORITHMS,
    });
    return { kind: 'options', options: JSON.stringify(options) };
  }

  /** Checks the authenticator's answer against the user's challenge and stores the new passkey. */
  async finishRegistration(
    em: EntityManager,
    auth: AuthState,
    responseJson: string,
    rawName: string | null | undefined,
    client: ClientInfo,
  ): Promise<FinishRegistrationOutcome> {
    const name = passkeyName(rawName);
    const refuse = async (): Promise<FinishRegistrationOutcome> => {
      await this.record('passkey_added', 'failure', auth, client);
      return { kind: 'invalid-response' };
    };
    const response = parseCredentialJson<RegistrationResponseJSON>(responseJson);
    const challenge = response ? challengeOf(response) : null;
    if (!response || !challenge) return refuse();
    const binding = await this.deps.challenges.consume(em, challenge, 'registration');
    if (!binding || binding.userId !== auth.userId) return refuse();
    const { verifyRegistrationResponse } = await webauthnLib(); // a load failure is not a refusal
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: [...this.deps.webauthn.origins],
        expectedRPID: this.deps.webauthn.rpId,
        requireUserPresence: true,
        requireUserVerification: false,
        supportedAlgorithmIDs: ALGORITHMS,
      });
    } catch {
      return refuse();
    }
    if (!verified.verified) return refuse();
    const info = verified.registrationInfo;
    const credentialId = info.credential.id;
    if (await em.count(Passkey, { credentialId })) return refuse();
    const transports = cleanTransports(response.response.transports ?? info.credential.transports);
    const now = new Date();
    const row = {
      user: auth.userId,
      credentialId,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      signCount: info.credential.counter,
      transports: transports.join(','),
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
      name,
      createdAt: now,
      lastUsedAt: null,
    };
    let id: string;
    try {
      id = await inTransaction(em, async (tx) => {
        const passkey = tx.create(Passkey, row);
        await tx.insert(Passkey, { ...row, id: passkey.id });
        await this.deps.outbox.enqueue(tx, securityNotice(auth.userId, 'passkey-added', client, now, name));
        await this.deps.webhooks?.emit(tx, {
          type: 'passkey.added',
          data: { userId: auth.userId, passkeyId: passkey.id, name, addedAt: now.toISOString() },
        });
        return passkey.id;
      });
    } catch (error) {
      // The same credential registered concurrently: the unique index decided.
      if ((error as { name?: string }).name === 'UniqueConstraintViolationException') return refuse();
      throw error;
    }
    await this.record('passkey_added', 'success', auth, client);
    return {
      kind: 'added',
      passkey: toPasskeyView(Object.assign(new Passkey(), { ...row, id, user: undefined }) as Passkey),
    };
  }

  async list(em: EntityManager, userId: string): Promise<PasskeyView[]> {
    const rows = await em.find(Passkey, { user: userId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
    return rows.map(toPasskeyView);
  }

  async rename(em: EntityManager, auth: AuthState, id: string, rawName: string): Promise<RenameOutcome> {
    const name = passkeyName(rawName);
    const stepUp = await this.stepUpNeeded(em, auth);
    if (stepUp) return stepUp;
    const updated = await em.nativeUpdate(Passkey, { id, user: auth.userId }, { name });
    if (updated !== 1) return { kind: 'not-found' };
    const passkey = await em.findOneOrFail(Passkey, { id }, { disableIdentityMap: true });
    return { kind: 'renamed', passkey: toPasskeyView(passkey) };
  }

  /**
   * Removes a passkey of the user. Never the last way to sign in: a user without a password keeps
   * at least one passkey (an emailed link needs the mailbox, which is not a way the user chose).
   */
  async remove(em: EntityManager, auth: AuthState, id: string, client: ClientInfo): Promise<RemoveOutcome> {
    const stepUp = await this.stepUpNeeded(em, auth);
    if (stepUp) return stepUp;
    const outcome = await inTransaction(em, async (tx): Promise<RemoveOutcome> => {
      // The user's row first, written (a row lock on PostgreSQL; SQLite has one writer): two
      // concurrent removals of the last two passkeys of a passwordless user go one after the other.
      await updateUser(tx, auth.userId, {}, { updatedAt: new Date() });
      const user = await tx.findOneOrFail(
        User,
        { id: auth.userId },
        { fields: ['id', 'passwordHash'], disableIdentityMap: true },
      );
      const passkey = await tx.findOne(
        Passkey,
        { id, user: auth.userId },
        { fields: ['id', 'name'], disableIdentityMap: true },
      );
      if (!passkey) return { kind: 'not-found' };
      if (user.passwordHash === null && (await tx.count(Passkey, { user: auth.userId })) <= 1) {
        return { kind: 'last-sign-in-method' };
      }
      await tx.nativeDelete(Passkey, { id, user: auth.userId });
      await this.deps.outbox.enqueue(
        tx,
        securityNotice(auth.userId, 'passkey-removed', client, new Date(), passkey.name),
      );
      await this.deps.webhooks?.emit(tx, {
        type: 'passkey.removed',
        data: { userId: auth.userId, passkeyId: id, removedAt: new Date().toISOString() },
      });
      return { kind: 'removed', id };
    });
    await this.record(
      'passkey_removed',
      outcome.kind === 'removed' ? 'success' : 'rejected',
      auth,
      client,
      outcome.kind === 'not-found',
    );
    return outcome;
  }

  /**
   * Options for navigator.credentials.get(). Without an address: an empty allow-list (the browser
   * offers the discoverable passkeys; conditional UI). With one: that account's credential ids, or,
   * for an unknown address or one without passkeys, decoy ids derived from the address under a
   * key of AUTH_SECRET: the same shape, stable per address, so the answer names no account.
   */
  async beginSignIn(em: EntityManager, rawEmail: string | null | undefined): Promise<string> {
    let emailHash: string | undefined;
    let allowCredentials: { id: string }[] | undefined;
    if (rawEmail !== null && rawEmail !== undefined) {
      const email = requireEmail(rawEmail);
      emailHash = this.deps.challengeEmailHash.hex(email);
      const user = await em.findOne(User, { email }, { fields: ['id'] });
      const passkeys = await em.find(
        Passkey,
        { user: user?.id ?? NO_USER },
        { fields: ['credentialId'], orderBy: { createdAt: 'asc', id: 'asc' } },
      );
      allowCredentials =
        passkeys.length > 0 ? passkeys.map((p) => ({ id: p.credentialId })) : this.decoyCredentials(email);
    }
    const challenge = await this.deps.challenges.issue(em, 'sign-in', { emailHash });
    const { generateAuthenticationOptions } = await webauthnLib();
    const options = await generateAuthenticationOptions({
      rpID: this.deps.webauthn.rpId,
      challenge: challenge.bytes,
      timeout: TIMEOUT_MS,
      userVerification: 'preferred',
      // No transports, for real and decoy ids alike: they would tell the two apart.
      allowCredentials: allowCredentials ?? [],
    });
    return JSON.stringify(options);
  }

  /** One or two ids of 32 bytes, fixed for the address (and AUTH_SECRET). */
  decoyCredentials(email: string): { id: string }[] {
    const seed = Buffer.from(this.deps.decoyIds.hex(`count:${email}`), 'hex');
    const count = 1 + (seed[0]! & 1);
    return Array.from({ length: count }, (_, i) => ({
      id: Buffer.from(this.deps.decoyIds.hex(`id:${i}:${email}`), 'hex').toString('base64url'),
    }));
  }

  private async record(
    kind: SecurityEventKind,
    result: 'success' | 'failure' | 'rejected',
    auth: AuthState,
    client: ClientInfo,
    skip = false,
  ): Promise<void> {
    if (skip) return;
    await this.deps.events.record({ kind, result, userId: auth.userId, sessionId: auth.sessionId, client });
  }
}
