import { MfaResolver } from './mfa.resolver.js';
import { EmailLinkResolver } from './email-link.resolver.js';
import { PasswordResolver } from './password.resolver.js';
import { PasskeyResolver } from './passkey.resolver.js';
import { AuditLogResolver } from './audit-log.resolver.js';
import { SessionResolver } from './session.resolver.js';
import { SignInResolver } from './sign-in.resolver.js';
import { SignUpResolver } from './sign-up.resolver.js';
import { UserResolver } from './user.resolver.js';
import { StepUpResolver } from './step-up.resolver.js';
import { SocialResolver } from './social.resolver.js';
import { AdminResolver } from './admin.resolver.js';
import { SelfServiceResolver } from './self-service.resolver.js';
import { WebhookResolver } from './webhook.resolver.js';
import { EmailChangeResolver } from './email-change.resolver.js';

/** Every resolver class, in schema order. A new resolver is added here and constructed in app.ts. */
export const resolverClasses = [
  SignUpResolver,
  SignInResolver,
  SessionResolver,
  UserResolver,
  MfaResolver,
  EmailLinkResolver,
  PasswordResolver,
  AuditLogResolver,
  StepUpResolver,
  PasskeyResolver,
  SocialResolver,
  AdminResolver,
  SelfServiceResolver,
  EmailChangeResolver,
  WebhookResolver,
] as const;
