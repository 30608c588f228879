import { Type } from '@mikro-orm/core';
import type { Platform } from '@mikro-orm/core';

/** The one built-in role: may call the admin API and open /admin. */
export const ADMIN_ROLE = 'admin';

/** Application roles: lower-case, start with a letter, `a-z 0-9 _ - : .`, at most 32 characters. */
export const ROLE_PATTERN = /^[a-z][a-z0-9_.:-]{0,31}$/;
/** At most this many roles per user: the `roles` access-token claim stays under ~600 bytes. */
export const MAX_ROLES = 16;

export type RolesCheck = { ok: true; roles: string[] } | { ok: false; problem: string };

/** Normalises (trim, lower-case, de-duplicate, sort) and validates a list of roles. */
export function validateRoles(input: readonly string[]): RolesCheck {
  const roles = [...new Set(input.map((r) => r.trim().toLowerCase()))].sort();
  if (roles.length > MAX_ROLES) return { ok: false, problem: `At most ${MAX_ROLES} roles.` };
  const bad = roles.find((r) => !ROLE_PATTERN.test(r));
  if (bad !== undefined) {
    return {
      ok: false,
      problem:
        'A role is 1 to 32 characters: a lower-case letter, then letters, digits, "_", "-", ":" or ".".',
    };
  }
  return { ok: true, roles };
}

/** `users.roles` as stored: `,admin,support,` (delimited, so `like '%,admin,%'` finds a role), '' for none. */
export function storedRoles(roles: readonly string[]): string {
  return roles.length === 0 ? '' : `,${roles.join(',')},`;
}

export function parseStoredRoles(stored: string | null | undefined): string[] {
  return (stored ?? '').split(',').filter(Boolean);
}

/** The SQL `like` pattern matching users who have `role`. */
export function roleLikePattern(role: string): string {
  return `%,${role},%`;
}

/**
 * `users.roles`: a string[] in code, the delimited text in the database. A plain string given in
 * a query (a `$like` pattern) is passed through unchanged.
 */
export class RolesType extends Type<string[], string> {
  override convertToDatabaseValue(value: string[] | string | null | undefined): string {
    if (typeof value === 'string') return value;
    return storedRoles(value ?? []);
  }

  override convertToJSValue(value: string | string[] | null | undefined): string[] {
    if (Array.isArray(value)) return value;
    return parseStoredRoles(value);
  }

  override compareAsType(): string {
    return 'string';
  }

  override getColumnType(_prop: unknown, platform: Platform): string {
    return platform.getVarcharTypeDeclarationSQL({ length: 600 });
  }
}

/** What an API key may be allowed to do (issue 21): each admin field names the scope it accepts. */
export const API_KEY_SCOPES = ['users:read', 'users:write', 'sessions:write', 'audit:read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** `@Authorized(...)` arguments containing ':' are API-key scopes; the others are user roles. */
export function isScope(requirement: string): boolean {
  return requirement.includes(':');
}

/**
 * A session counts as strongly authenticated (ADMIN_REQUIRE_MFA) when its `amr` shows a second
 * factor (`mfa`, `otp`) or a passkey (`hwk`, `swk`; a passkey is possession plus a local gesture).
 */
export function hasStrongAuthentication(amr: readonly string[]): boolean {
  return amr.some((m) => m === 'mfa' || m === 'otp' || m === 'hwk' || m === 'swk');
}
