import type { EntityManager } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../security/crypto.js';
import { MailOutboxEntry } from '../storage/entities/index.js';
import type { MailJob } from './mail-jobs.js';
import type { MailMessage } from './templates.js';

export const JOB_PURPOSE = 'mail-outbox-job';
export const MESSAGE_PURPOSE = 'mail-outbox-message';

/**
 * The write side of the outbox: requests call `enqueue` and return; they never wait for SMTP.
 * Rows are sealed with AUTH_SECRET: a composed mail holds a live token until it is delivered.
 */
export class MailOutbox {
  private listener: (() => void) | null = null;

  constructor(private readonly box: SecretBox) {}

  /** The sender registers here to be woken when mail is waiting, instead of at the next poll. */
  onEnqueued(listener: () => void): void {
    this.listener = listener;
  }

  async enqueue(em: EntityManager, job: MailJob): Promise<void> {
    const now = new Date();
    await em.insert(MailOutboxEntry, {
      id: randomUUID(),
      kind: job.kind,
      payload: this.box.seal(JOB_PURPOSE, JSON.stringify(job)),
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
    });
    this.listener?.();
  }

  openJob(entry: MailOutboxEntry): MailJob {
    return JSON.parse(this.box.open(JOB_PURPOSE, entry.payload)) as MailJob;
  }

  sealMessage(message: MailMessage): string {
    return this.box.seal(MESSAGE_PURPOSE, JSON.stringify(message));
  }

  openMessage(sealed: string): MailMessage {
    return JSON.parse(this.box.open(MESSAGE_PURPOSE, sealed)) as MailMessage;
  }
}
