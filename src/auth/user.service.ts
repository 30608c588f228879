import type { EntityManager } from '@mikro-orm/core';

/** What `me` shows of a user: no hash, no second-factor secret. */
export interface UserProfile {
  id: string;
  email: string;
  emailVerifiedAt: Date | null;
  totpEnabledAt: Date | null;
  createdAt: Date;
}

interface ProfileRow {
  id: string;
  email: string;
  email_verified_at: Date | string | number | null;
  totp_enabled_at: Date | string | number | null;
  created_at: Date | string | number;
}

// PostgreSQL returns Date objects, SQLite the stored epoch milliseconds: both become a Date.
const toDate = (value: Date | string | number): Date => (value instanceof Date ? value : new Date(value));

export class UserService {
  /**
   * One indexed read on the hottest query of the API. Plain SQL on purpose: MikroORM's query
   * builder and hydration cost more CPU than the query itself here (bench/, CPU profile in the notes).
   */
  async profile(em: EntityManager, id: string): Promise<UserProfile | null> {
    const rows = await em
      .getConnection()
      .execute<ProfileRow[]>(
        'select id, email, email_verified_at, totp_enabled_at, created_at from users where id = ? limit 1',
        [id],
      );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      email: row.email,
      emailVerifiedAt: row.email_verified_at === null ? null : toDate(row.email_verified_at),
      totpEnabledAt: row.totp_enabled_at === null ? null : toDate(row.totp_enabled_at),
      createdAt: toDate(row.created_at),
    };
  }
}
