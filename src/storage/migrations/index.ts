import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261130000000_initial } from './Migration20261130000000_initial.js';
import { Migration20261130010000_email_flows } from './Migration20261130010000_email_flows.js';
import { Migration20261130020000_mfa } from './Migration20261130020000_mfa.js';
import { Migration20261130030000_audit } from './Migration20261130030000_audit.js';
import { Migration20261201010000_nullable_password } from './Migration20261201010000_nullable_password.js';
import { Migration20261201020000_audit_owner } from './Migration20261201020000_audit_owner.js';
import { Migration20261201040000_audit_truncate } from './Migration20261201040000_audit_truncate.js';
import { Migration20261202010000_session_auth_time } from './Migration20261202010000_session_auth_time.js';
import { Migration20261202020000_factor_guard } from './Migration20261202020000_factor_guard.js';
import { Migration20261202030000_passkeys } from './Migration20261202030000_passkeys.js';
import { Migration20261202040000_identities } from './Migration20261202040000_identities.js';
import { Migration20261202050000_roles } from './Migration20261202050000_roles.js';
import { Migration20261202050100_admin } from './Migration20261202050100_admin.js';
import { Migration20261202060000_webhooks } from './Migration20261202060000_webhooks.js';
import { Migration20261203010000_oauth_binder } from './Migration20261203010000_oauth_binder.js';
import { Migration20261203020000_email_change } from './Migration20261203020000_email_change.js';
import { Migration20261204010000_refresh_function } from './Migration20261204010000_refresh_function.js';

/** Every migration, in order. A new migration is added here (and nowhere else). */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261130000000_initial', class: Migration20261130000000_initial },
  { name: 'Migration20261130010000_email_flows', class: Migration20261130010000_email_flows },
  { name: 'Migration20261130020000_mfa', class: Migration20261130020000_mfa },
  { name: 'Migration20261130030000_audit', class: Migration20261130030000_audit },
  { name: 'Migration20261201010000_nullable_password', class: Migration20261201010000_nullable_password },
  { name: 'Migration20261201020000_audit_owner', class: Migration20261201020000_audit_owner },
  { name: 'Migration20261201040000_audit_truncate', class: Migration20261201040000_audit_truncate },
  { name: 'Migration20261202010000_session_auth_time', class: Migration20261202010000_session_auth_time },
  { name: 'Migration20261202020000_factor_guard', class: Migration20261202020000_factor_guard },
  { name: 'Migration20261202030000_passkeys', class: Migration20261202030000_passkeys },
  { name: 'Migration20261202040000_identities', class: Migration20261202040000_identities },
  { name: 'Migration20261202050000_roles', class: Migration20261202050000_roles },
  { name: 'Migration20261202050100_admin', class: Migration20261202050100_admin },
  { name: 'Migration20261202060000_webhooks', class: Migration20261202060000_webhooks },
  { name: 'Migration20261203010000_oauth_binder', class: Migration20261203010000_oauth_binder },
  { name: 'Migration20261203020000_email_change', class: Migration20261203020000_email_change },
  { name: 'Migration20261204010000_refresh_function', class: Migration20261204010000_refresh_function },
];
