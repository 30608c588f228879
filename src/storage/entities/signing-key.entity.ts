import { Entity, OptionalProps, PrimaryKey, Property, DateTimeType } from '@mikro-orm/core';

/** JWT signing keys, shared by every replica through the database. */
@Entity({ tableName: 'signing_keys' })
export class SigningKey {
  [OptionalProps]?: 'createdAt' | 'retiredAt';

  @PrimaryKey({ type: 'string', length: 64 })
  kid!: string;

  @Property({ type: 'string', length: 16 })
  algorithm!: string;

  /** Public JWK as JSON. */
  @Property({ type: 'text' })
  publicJwk!: string;

  /** PKCS#8 private key, AES-256-GCM encrypted with a key derived from AUTH_SECRET. */
  @Property({ type: 'text' })
  privateKeyEncrypted!: string;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  /** When it stopped signing; it stays in the JWKS until the tokens it signed have expired. */
  @Property({ type: DateTimeType, nullable: true })
  retiredAt: Date | null = null;
}
