import { Entity, OptionalProps, PrimaryKey, Property, DateTimeType } from '@mikro-orm/core';

/** An API key for automation (issue 21): only its SHA-256 is stored; the key is shown once. */
@Entity({ tableName: 'api_keys' })
export class ApiKey {
  [OptionalProps]?: 'createdAt' | 'expiresAt' | 'revokedAt' | 'lastUsedAt' | 'createdBy';

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'string', length: 64, unique: true })
  keyHash!: string;

  /** Space-separated scopes (src/auth/roles.ts API_KEY_SCOPES). */
  @Property({ type: 'string', length: 200 })
  scopes!: string;

  /** The administrator who created it (no foreign key: the key's record outlives the account). */
  @Property({ type: 'uuid', nullable: true })
  createdBy: string | null = null;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType, nullable: true })
  expiresAt: Date | null = null;

  @Property({ type: DateTimeType, nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: DateTimeType, nullable: true })
  lastUsedAt: Date | null = null;
}
