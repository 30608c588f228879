import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Logger } from '../observability/logger.js';
import type { MailMessage } from './templates.js';

/** Delivers one composed mail; throws when it was not accepted. */
export interface MailTransport {
  readonly name: string;
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/** A delivery error worth no retry: the server refused this mail for good (5xx). */
export function isPermanentFailure(error: unknown): boolean {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/** A short, secret-free description of a delivery error for the outbox row and the log. */
export function describeFailure(error: unknown): string {
  const e = error as { code?: unknown; responseCode?: unknown; command?: unknown } | null;
  const parts = [e?.code, e?.responseCode, e?.command].filter((p) => p !== undefined && p !== null);
  return (parts.length > 0 ? parts.join(' ') : 'delivery failed').slice(0, 255);
}

/**
 * SMTP through nodemailer, which is loaded, and the transporter made, at the first send: a replica
 * that never sends a mail (most of them, most of the time) does not carry its ~200 modules
 * (issue 24: RSS). The URL is checked at construction, so a bad SMTP_URL still stops start-up.
 */
export class SmtpTransport implements MailTransport {
  readonly name = 'smtp';
  private readonly options: SMTPTransport.Options;
  private transporter: Promise<Transporter> | null = null;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    timeoutMs: number,
    requireTls = false,
  ) {
    const url = new URL(smtpUrl);
    const secure = url.protocol === 'smtps:';
    this.options = {
      host: url.hostname,
      port: url.port ? Number(url.port) : secure ? 465 : 587,
      secure,
      // Without TLS the mail (live links) and the SMTP password cross the network in clear:
      // a server that offers no STARTTLS is refused rather than spoken to in plain text.
      requireTLS: requireTls && !secure,
      auth: url.username
        ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
        : undefined,
      // Bounded attempts: a stalled server must not hold the sender (or shutdown) for minutes.
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    };
  }

  private transport(): Promise<Transporter> {
    this.transporter ??= import('nodemailer').then(
      ({ default: nodemailer }) => nodemailer.createTransport(this.options, { from: this.from }),
      (error: unknown) => {
        this.transporter = null; // tried again at the next send
        throw error;
      },
    );
    return this.transporter;
  }

  async send(message: MailMessage): Promise<void> {
    const transporter = await this.transport();
    await transporter.sendMail({
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
  }

  close(): void {
    void this.transporter?.then(
      (transporter) => transporter.close(),
      () => undefined,
    );
  }
}

/** The embedded default: no SMTP server, so the mail (and its link) is printed for the developer. */
export class ConsoleTransport implements MailTransport {
  readonly name = 'console';

  constructor(
    private readonly logger: Logger,
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
  ) {}

  async send(message: MailMessage): Promise<void> {
    this.logger.info({ to: message.to, subject: message.subject }, 'mail printed by the console transport');
    // LOG_LEVEL=silent (tests, quiet runs) silences the printed mail too.
    if (!this.logger.isLevelEnabled('info')) return;
    this.write(
      [
        '',
        '---- mail (console transport, development only) ----',
        `To: ${message.to}`,
        `Subject: ${message.subject}`,
        '',
        message.text.trimEnd(),
        '----------------------------------------------------',
        '',
      ].join('\n'),
    );
  }

  close(): void {}
}
