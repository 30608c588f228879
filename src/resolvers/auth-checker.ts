import type { AuthChecker } from 'type-graphql';
import { ADMIN_ROLE, hasStrongAuthentication, isScope, parseStoredRoles } from '../auth/roles.js';
import type { Context } from '../context.js';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';

export interface AuthorizationSettings {
  /** ADMIN_REQUIRE_MFA: `admin` fields need a session whose amr shows a second factor or passkey. */
  adminRequireMfa: boolean;
}

/** One roles read per request, however many guarded fields it resolves. */
const rolesPerRequest = new WeakMap<Context, Promise<string[]>>();

function currentRoles(context: Context, userId: string): Promise<string[]> {
  let roles = rolesPerRequest.get(context);
  if (!roles) {
    roles = context.em
      .getConnection()
      .execute<{ roles: string | null }[]>('select roles from users where id = ? limit 1', [userId])
      .then((rows) => parseStoredRoles(rows[0]?.roles));
    rolesPerRequest.set(context, roles);
  }
  return roles;
}

/**
 * type-graphql's authChecker.
 * - `@Authorized()`: a live session (the context has `auth` only after the liveness check).
 * - `@Authorized('admin', 'users:read')`: a session whose user has one of the roles now (read from
 *   the database, not the token, so a removed role or a disabled admin stops at once), with a
 *   second factor for `admin` when ADMIN_REQUIRE_MFA; or an API key holding one of the scopes
 *   (entries with ':'). An API key never passes a field without a scope.
 */
export function authCheckerFor(settings: AuthorizationSettings): AuthChecker<Context> {
  // An arrow function, not a declaration: type-graphql treats anything with a prototype as a class to instantiate.
  return async ({ context }, required) => {
    const scopes = required.filter(isScope);
    const roles = required.filter((r) => !isScope(r));
    if (context.apiKey) {
      const key = context.apiKey;
      if (scopes.some((s) => key.scopes.includes(s))) return true;
      throw new ForbiddenError(
        'This API key does not have the scope this operation needs.',
        'SCOPE_REQUIRED',
      );
    }
    if (!context.auth) throw new UnauthenticatedError();
    if (required.length === 0) return true;
    const have = roles.length === 0 ? [] : await currentRoles(context, context.auth.userId);
    const granted = roles.filter((r) => have.includes(r));
    if (granted.length === 0) {
      throw new ForbiddenError('Your account does not have the role this operation needs.', 'ROLE_REQUIRED');
    }
    const onlyAsAdmin = granted.every((r) => r === ADMIN_ROLE);
    if (settings.adminRequireMfa && onlyAsAdmin && !hasStrongAuthentication(context.auth.amr)) {
      throw new ForbiddenError(
        'Administration needs a session signed in with a second factor or a passkey.',
        'ADMIN_MFA_REQUIRED',
      );
    }
    return true;
  };
}
