import { randomUUID } from 'node:crypto';
import {
  BigIntType,
  DateTimeType,
  Entity,
  Index,
  ManyToOne,
  OptionalProps,
  PrimaryKey,
  Property,
} from '@mikro-orm/core';
import { User } from './user.entity.js';

/**
 * A WebAuthn credential (passkey) registered to a user. Only public material: the credential id
 * and its COSE public key are useless without the authenticator's private key.
 */
@Entity({ tableName: 'passkeys' })
@Index({ properties: ['user'] })
export class Passkey {
  [OptionalProps]?: 'id' | 'createdAt' | 'lastUsedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user!: User;

  /** base64url, as the browser reports it (at most 1023 bytes, so 1364 characters). */
  @Property({ type: 'string', length: 1400, unique: true })
  credentialId!: string;

  /** The COSE public key, base64url. */
  @Property({ type: 'text' })
  publicKey!: string;

  /** The authenticator's signature counter (an unsigned 32-bit number; 0 = it does not count). */
  @Property({ type: new BigIntType('number') })
  signCount!: number;

  /** Comma-separated AuthenticatorTransport values (`internal`, `hybrid`, `usb`, …). */
  @Property({ type: 'string', length: 255 })
  transports!: string;

  /** BE flag: a multi-device (synced) credential. */
  @Property({ type: 'boolean' })
  backupEligible!: boolean;

  /** BS flag, as of its last use: the credential is backed up (synced) now. */
  @Property({ type: 'boolean' })
  backedUp!: boolean;

  @Property({ type: 'string', length: 36 })
  aaguid!: string;

  /** Chosen by the user; shown on the account page and in notification mails. */
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType, nullable: true })
  lastUsedAt: Date | null = null;
}

export type PasskeyChallengePurpose = 'registration' | 'sign-in';

/**
 * A WebAuthn challenge waiting for its answer, by SHA-256 hash only (like the emailed tokens):
 * single use, five minutes. A registration challenge belongs to the signed-in user; a sign-in
 * challenge that named an address keeps that address's keyed hash, so only that account's
 * passkey can answer it.
 */
@Entity({ tableName: 'passkey_challenges' })
export class PasskeyChallenge {
  [OptionalProps]?: 'createdAt' | 'usedAt' | 'user' | 'emailHash';

  @PrimaryKey({ type: 'string', length: 64 })
  challengeHash!: string;

  @Property({ type: 'string', length: 16 })
  purpose!: PasskeyChallengePurpose;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade', nullable: true })
  user: User | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  emailHash: string | null = null;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType })
  @Index()
  expiresAt!: Date;

  /** Set once, atomically, by the answer that used it. */
  @Property({ type: DateTimeType, nullable: true })
  usedAt: Date | null = null;
}
