import { PortableMigration } from './portable-migration.js';

/** The role that owns the audit trail on PostgreSQL; the app's own role keeps only SELECT and INSERT on it. */
export const AUDIT_OWNER_ROLE = 'plinto_audit_owner';

/**
 * The audit table owned by a separate role, when the database allows it (PostgreSQL run by a
 * superuser, a role with CREATEROLE, or a member of plinto_audit_owner — see the README): the
 * owner may TRUNCATE, ALTER, DROP or disable the append-only trigger; the app's role then may
 * only read and append. Where the database does not allow it, the table stays as it was, with a
 * notice. SQLite has no roles: nothing to do.
 */
export class Migration20261201020000_audit_owner extends PortableMigration {
  override async up(): Promise<void> {
    if (!this.isPostgres) return;
    this.addSql(`do $$
declare
  app_role text := current_user;
  is_superuser boolean := (select rolsuper from pg_roles where rolname = current_user);
begin
  begin
    create role ${AUDIT_OWNER_ROLE} nologin;
  -- Made earlier (by another database, a replica or the DBA), or this role may not create roles.
    exception when duplicate_object or unique_violation or insufficient_privilege then null;
  end;
  if not is_superuser and not pg_has_role(app_role, '${AUDIT_OWNER_ROLE}', 'MEMBER') then
    execute format('grant ${AUDIT_OWNER_ROLE} to %I', app_role);
  end if;
  -- A new owner needs CREATE on the table's schema.
  execute format('grant usage, create on schema %I to ${AUDIT_OWNER_ROLE}', current_schema());
  alter table "audit_events" owner to ${AUDIT_OWNER_ROLE};
  alter function "audit_events_append_only"() owner to ${AUDIT_OWNER_ROLE};
  execute format('grant select, insert on "audit_events" to %I', app_role);
  if not is_superuser then
    begin
      execute format('revoke ${AUDIT_OWNER_ROLE} from %I', app_role);
    exception when insufficient_privilege then
      raise notice 'revoke ${AUDIT_OWNER_ROLE} from % yourself: until then it can truncate the audit trail', app_role;
    end;
  end if;
exception when insufficient_privilege or undefined_object then
  raise notice 'audit_events stays owned by %: this role may not create or join ${AUDIT_OWNER_ROLE} (see the README)', app_role;
end $$`);
  }

  override async down(): Promise<void> {
    if (!this.isPostgres) return;
    this.addSql(`do $$ begin
  alter table "audit_events" owner to current_user;
  alter function "audit_events_append_only"() owner to current_user;
exception when insufficient_privilege then
  raise notice 'audit_events stays owned by ${AUDIT_OWNER_ROLE}: run this as a superuser';
end $$`);
  }
}
