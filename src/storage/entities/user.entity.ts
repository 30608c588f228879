import { randomUUID } from 'node:crypto';
import { Entity, OptionalProps, PrimaryKey, Property, DateTimeType } from '@mikro-orm/core';
import { RolesType } from '../../auth/roles.js';

@Entity({ tableName: 'users' })
export class User {
  [OptionalProps]?:
    | 'passwordHash'
    | 'emailVerifiedAt'
    | 'totpSecretEncrypted'
    | 'totpPendingSecretEncrypted'
    | 'totpEnabledAt'
    | 'totpLastUsedStep'
    | 'roles'
    | 'createdAt'
    | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Normalised (NFKC, trimmed, lower-cased); unique. */
  @Property({ type: 'string', length: 320, unique: true })
  email!: string;

  /**
   * Self-describing hash: `$2b$12$…` (bcrypt), `$argon2id$…`, `wrapped-sha256:`/`wrapped-bcrypt:`
   * (cheap legacy hashes wrapped at import), or `sha256:<hex>` (legacy).
   * Null: the user has no password (signs in another way); a password sign-in is InvalidCredentials.
   */
  @Property({ type: 'string', length: 255, nullable: true })
  passwordHash: string | null = null;

  @Property({ type: DateTimeType, nullable: true })
  emailVerifiedAt: Date | null = null;

  /** TOTP secret, AES-256-GCM encrypted with a key derived from AUTH_SECRET. */
  @Property({ type: 'text', nullable: true })
  totpSecretEncrypted: string | null = null;

  /** Enrollment begun but not yet confirmed with a code; sealed like the active secret. */
  @Property({ type: 'text', nullable: true })
  totpPendingSecretEncrypted: string | null = null;

  @Property({ type: DateTimeType, nullable: true })
  totpEnabledAt: Date | null = null;

  /** The last accepted TOTP time step: a code at or before it is a replay. */
  @Property({ type: 'integer', nullable: true })
  totpLastUsedStep: number | null = null;

  /** Normalised, validated roles (src/auth/roles.ts); `admin` is built in. Stored as `,a,b,`. */
  @Property({ type: RolesType, length: 600, default: '' })
  roles: string[] = [];

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
