import { PortableMigration } from './portable-migration.js';

/**
 * PostgreSQL: refreshSession as one function call (issue 24). The body is the single statement of
 * src/auth/refresh-rotation.ts (read, lifetime checks, claim, successor, session touch with the
 * grace pair); as PL/pgSQL its plan is prepared once per connection instead of planned at every
 * refresh. SQLite has no functions: its refresh stays a transaction in code. A change to the
 * statement is a new migration (`create or replace function`).
 */
export class Migration20261204010000_refresh_function extends PortableMigration {
  override async up(): Promise<void> {
    if (!this.isPostgres) return;
    this.addSql(`create or replace function plinto_refresh_session(
  p_hash text, p_now timestamptz, p_max double precision, p_mfa_max double precision,
  p_idle double precision, p_ttl double precision, p_successor_hash text, p_ip text,
  p_grace_hash text, p_grace_until timestamptz, p_sealed text)
returns table (session_id uuid, token_expires_at timestamptz, rotated_at timestamptz, amr text,
  session_created_at timestamptz, session_authenticated_at timestamptz, session_last_used_at timestamptz,
  session_expires_at timestamptz, revoked_at timestamptz, ip text, user_agent text, user_id uuid,
  email text, email_verified_at timestamptz, totp_enabled_at timestamptz, user_created_at timestamptz,
  roles text, live boolean, next_expires_at timestamptz)
language plpgsql volatile as $fn$
#variable_conflict use_column
begin
  return query
  with found as (
    select rt.session_id, rt.expires_at as token_expires_at, rt.rotated_at,
      s.amr, s.created_at as session_created_at, s.authenticated_at as session_authenticated_at,
      s.last_used_at as session_last_used_at, s.expires_at as session_expires_at, s.revoked_at, s.ip, s.user_agent,
      u.id as user_id, u.email, u.email_verified_at, u.totp_enabled_at, u.created_at as user_created_at, u.roles,
      'mfa' = any(string_to_array(s.amr, ',')) as mfa
    from refresh_tokens rt join sessions s on s.id = rt.session_id join users u on u.id = s.user_id
    where rt.token_hash = p_hash limit 1
  ), ended as (
    select found.*,
      session_created_at + make_interval(secs => case when mfa then p_mfa_max else p_max end) as absolute_end
    from found
  ), bounded as (
    select ended.*,
      revoked_at is null and session_expires_at > p_now and token_expires_at > p_now and absolute_end > p_now
        and (not mfa or session_last_used_at > p_now - make_interval(secs => p_idle)) as live,
      least(p_now + make_interval(secs => p_ttl), absolute_end,
        case when mfa then p_now + make_interval(secs => p_idle) end) as successor_expires_at
    from ended
  ), claimed as (
    update refresh_tokens rt set rotated_at = p_now from bounded b
    where rt.token_hash = p_hash and rt.rotated_at is null and b.live
    returning rt.session_id, b.successor_expires_at
  ), inserted as (
    insert into refresh_tokens (token_hash, session_id, created_at, expires_at)
    select p_successor_hash, c.session_id, p_now, c.successor_expires_at from claimed c
  ), touched as (
    update sessions s set last_used_at = p_now, expires_at = c.successor_expires_at,
      rotation_count = s.rotation_count + 1, ip = coalesce(p_ip, s.ip), grace_for_token_hash = p_grace_hash,
      grace_until = p_grace_until, grace_pair_encrypted = p_sealed
    from claimed c where s.id = c.session_id
  )
  select b.session_id, b.token_expires_at, b.rotated_at, b.amr::text, b.session_created_at,
    b.session_authenticated_at, b.session_last_used_at, b.session_expires_at, b.revoked_at, b.ip::text,
    b.user_agent::text, b.user_id, b.email::text, b.email_verified_at, b.totp_enabled_at, b.user_created_at,
    b.roles::text, b.live, (select c.successor_expires_at from claimed c)
  from bounded b;
end
$fn$`);
  }

  override async down(): Promise<void> {
    if (!this.isPostgres) return;
    this.addSql(
      'drop function if exists plinto_refresh_session(text, timestamptz, double precision, double precision, double precision, double precision, text, text, text, timestamptz, text)',
    );
  }
}
