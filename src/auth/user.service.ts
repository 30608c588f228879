import type { EntityManager } from '@mikro-orm/core';
import { toDate, toDateOrNull } from '../storage/db-values.js';
import type { DbDate } from '../storage/db-values.js';
import { parseStoredRoles } from './roles.js';

/** What `me` shows of a user: no hash, no second-factor secret. */
export interface UserProfile {
  id: string;
  email: string;
  emailVerifiedAt: Date | null;
  totpEnabledAt: Date | null;
  createdAt: Date;
  /** Normalised roles (src/auth/roles.ts). */
  roles: string[];
}

interface ProfileRow {
  id: string;
  email: string;
  email_verified_at: DbDate | null;
  totp_enabled_at: DbDate | null;
  created_at: DbDate;
  roles: string | null;
}

export class UserService {
  /**
   * One indexed read on the hottest query of the API. Plain SQL on purpose: MikroORM's query
   * builder and hydration cost more CPU than the query itself here (bench/, CPU profile in the notes).
   */
  async profile(em: EntityManager, id: string): Promise<UserProfile | null> {
    const rows = await em
      .getConnection()
      .execute<ProfileRow[]>(
        'select id, email, email_verified_at, totp_enabled_at, created_at, roles from users where id = ? limit 1',
        [id],
      );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      email: row.email,
      emailVerifiedAt: toDateOrNull(row.email_verified_at),
      totpEnabledAt: toDateOrNull(row.totp_enabled_at),
      createdAt: toDate(row.created_at),
      roles: parseStoredRoles(row.roles),
    };
  }
}
