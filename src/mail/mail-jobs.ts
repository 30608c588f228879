import type { EntityManager } from '@mikro-orm/core';
import type { OneTimeTokenService } from '../auth/one-time-token.service.js';
import { User } from '../storage/entities/index.js';
import type { MailMessage } from './templates.js';
import { templates, tokenLink } from './templates.js';

/**
 * What a request asks to be mailed. Requests that name an address only record this job; the
 * sender looks the address up and issues the token later. So the request does the same work
 * (one outbox insert) whether or not the address is registered: same answer, same time.
 */
export type MailJob =
  | { kind: 'verify-email'; email: string }
  | { kind: 'sign-up-existing'; email: string }
  | { kind: 'password-reset'; email: string }
  | { kind: 'magic-link'; email: string }
  /** Lost second factor: the recovery link (only users with TOTP on get a mail). */
  | { kind: 'mfa-recovery'; email: string }
  | { kind: 'password-changed'; userId: string }
  | { kind: 'password-reset-done'; userId: string }
  | { kind: 'email-verified'; userId: string }
  /** adminCreateUser(sendInvite): a set-password link (the password-reset token and lifetime). */
  | { kind: 'admin-invite'; userId: string }
  /** deleteAccount / adminDeleteUser: the account is gone, so the job carries the address (sealed in the outbox). */
  | { kind: 'account-deleted'; to: string }
  | WebhookEndpointDisabledJob
  | SecurityNoticeJob
  | EmailChangeConfirmJob
  | EmailChangeNoticeJob;

/**
 * changeEmail: to the new address, a confirmation link; or, when another account holds that
 * address, a notice to it instead (decided here, at send time, so the request is the same work
 * whether or not the address is taken: enumeration-safe).
 */
export interface EmailChangeConfirmJob {
  kind: 'email-change-confirm';
  userId: string;
  newEmail: string;
}

/** changeEmail: to the old address, a notice with the undo link (EMAIL_CHANGE_UNDO_SECONDS). */
export interface EmailChangeNoticeJob {
  kind: 'email-change-notice';
  userId: string;
  newEmail: string;
  /** ISO start of the session that asked: the undo removes what was added since (email-change.service.ts). */
  since: string;
  /** ISO time of the request. */
  at: string;
  ip: string | null;
  userAgent: string | null;
}

/** What an email-change token carries (one_time_tokens.payload). */
export interface EmailChangePayload {
  /** The address the link moves the account to. */
  email: string;
  /** Undo links: when the session that asked for the change began. */
  since?: string;
}

/** To one admin: a webhook endpoint failed every delivery for 3 days and was disabled (issue 22). */
export interface WebhookEndpointDisabledJob {
  kind: 'webhook-endpoint-disabled';
  userId: string;
  endpointId: string;
  url: string;
  /** ISO time it was disabled. */
  at: string;
}

/**
 * Something changed on the account that its owner must hear about (account-integrity issue):
 * what happened, when, from which device, and what to do if it was not them.
 */
export type SecurityNoticeEvent =
  | 'mfa-enabled'
  | 'mfa-disabled'
  | 'mfa-recovery-started'
  | 'mfa-recovery-cancelled'
  | 'mfa-recovery-completed'
  | 'recovery-codes-regenerated'
  | 'password-changed'
  | 'password-reset'
  | 'email-changed'
  | 'passkey-added'
  | 'passkey-removed'
  | 'identity-linked'
  | 'identity-unlinked';

export interface SecurityNoticeJob {
  kind: 'security-notice';
  userId: string;
  event: SecurityNoticeEvent;
  /** ISO time of the change. */
  at: string;
  ip: string | null;
  userAgent: string | null;
  /** A short, non-secret detail (a passkey's name, a provider's name). Never a token or a code. */
  detail?: string;
}

/** The security notice of a change made from `client` at `at` (every feature builds it here). */
export function securityNotice(
  userId: string,
  event: SecurityNoticeEvent,
  client: { ip: string | null; userAgent: string | null },
  at: Date,
  detail?: string,
): SecurityNoticeJob {
  return {
    kind: 'security-notice',
    userId,
    event,
    at: at.toISOString(),
    ip: client.ip,
    userAgent: client.userAgent,
    ...(detail ? { detail } : {}),
  };
}

const LINKS_REFUSED_WHEN_DISABLED: ReadonlySet<MailJob['kind']> = new Set([
  'password-reset',
  'magic-link',
  'mfa-recovery',
  'admin-invite',
]);

/** Turns a job into a mail, issuing its token in the caller's transaction; null = nothing to send. */
export class MailComposer {
  constructor(
    private readonly tokens: OneTimeTokenService,
    private readonly appUrl: string,
    private readonly mfaRecoveryDelaySeconds = 72 * 3600,
  ) {}

  async compose(em: EntityManager, job: MailJob): Promise<MailMessage | null> {
    if (job.kind === 'account-deleted') return templates.accountDeleted(job.to);
    const user =
      'email' in job
        ? await em.findOne(User, { email: job.email })
        : await em.findOne(User, { id: job.userId });
    // Unknown addresses get no mail at all: nothing is sent to an address that has no account here.
    if (!user) return null;
    const to = user.email;
    // A disabled account gets no link that could set a password or sign in (AD-16): the request
    // answered the client the same already; the mail simply is not sent.
    if (user.disabledAt !== null && LINKS_REFUSED_WHEN_DISABLED.has(job.kind)) return null;
    switch (job.kind) {
      case 'verify-email': {
        if (user.emailVerifiedAt !== null) return null;
        const token = await this.tokens.issue(em, user.id, 'email-verification');
        const ttl = this.tokens.ttlSeconds('email-verification');
        return templates.verifyEmail(to, tokenLink(this.appUrl, '/verify-email', token), ttl);
      }
      case 'sign-up-existing': {
        // A repeated sign-up of a never-verified address changes nothing (the second caller's
        // password is not stored); the mailbox gets a fresh verification link instead, whose use
        // clears whatever password the account has (CredentialChange.claimNeverVerified).
        if (user.emailVerifiedAt === null) {
          const token = await this.tokens.issue(em, user.id, 'email-verification');
          const ttl = this.tokens.ttlSeconds('email-verification');
          return templates.verifyEmail(to, tokenLink(this.appUrl, '/verify-email', token), ttl);
        }
        return templates.signUpExisting(to);
      }
      case 'password-reset': {
        const token = await this.tokens.issue(em, user.id, 'password-reset');
        const ttl = this.tokens.ttlSeconds('password-reset');
        return templates.passwordReset(to, tokenLink(this.appUrl, '/reset-password', token), ttl);
      }
      case 'magic-link': {
        const token = await this.tokens.issue(em, user.id, 'magic-link');
        const ttl = this.tokens.ttlSeconds('magic-link');
        return templates.magicLink(to, tokenLink(this.appUrl, '/magic-link', token), ttl);
      }
      case 'mfa-recovery': {
        if (user.totpEnabledAt === null) return null;
        const token = await this.tokens.issue(em, user.id, 'mfa-recovery');
        const ttl = this.tokens.ttlSeconds('mfa-recovery');
        const link = tokenLink(this.appUrl, '/recover-mfa', token);
        return templates.mfaRecovery(to, link, ttl, this.mfaRecoveryDelaySeconds);
      }
      case 'password-changed':
        return templates.passwordChanged(to);
      case 'password-reset-done':
        return templates.passwordResetDone(to);
      case 'email-verified':
        return templates.emailVerified(to);
      case 'admin-invite': {
        const token = await this.tokens.issue(em, user.id, 'password-reset');
        const ttl = this.tokens.ttlSeconds('password-reset');
        return templates.adminInvite(to, tokenLink(this.appUrl, '/reset-password', token), ttl);
      }
      case 'security-notice':
        return templates.securityNotice(to, job);
      case 'webhook-endpoint-disabled':
        return templates.webhookEndpointDisabled(to, job.url, job.at);
      case 'email-change-confirm': {
        const holder = await em.findOne(User, { email: job.newEmail }, { fields: ['id'] });
        // Taken by another account: its owner hears that someone tried to use the address; the
        // requester gets no link (and their answer was the same).
        if (holder && holder.id !== user.id) return templates.emailChangeAddressInUse(job.newEmail);
        if (holder) return null;
        const payload: EmailChangePayload = { email: job.newEmail };
        const token = await this.tokens.issue(em, user.id, 'email-change', JSON.stringify(payload));
        const ttl = this.tokens.ttlSeconds('email-change');
        const link = tokenLink(this.appUrl, '/confirm-email-change', token);
        return templates.emailChangeConfirm(job.newEmail, link, ttl);
      }
      case 'email-change-notice': {
        const payload: EmailChangePayload = { email: to, since: job.since };
        const token = await this.tokens.issue(em, user.id, 'email-change-undo', JSON.stringify(payload));
        const ttl = this.tokens.ttlSeconds('email-change-undo');
        const link = tokenLink(this.appUrl, '/undo-email-change', token);
        return templates.emailChangeNotice(to, job, link, ttl);
      }
    }
  }
}
