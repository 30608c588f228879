import { randomUUID } from 'node:crypto';
import {
  Entity,
  Index,
  ManyToOne,
  OptionalProps,
  PrimaryKey,
  Property,
  DateTimeType,
  Unique,
} from '@mikro-orm/core';
import { User } from './user.entity.js';

/**
 * A social sign-in identity: one account at one provider, found by (provider, subject) only, never
 * by email. `email` and `emailVerified` are kept as the provider last gave them.
 */
@Entity({ tableName: 'identities' })
@Unique({ properties: ['provider', 'subject'] })
@Index({ properties: ['user'] })
export class Identity {
  [OptionalProps]?: 'linkedAt' | 'lastUsedAt' | 'email' | 'emailVerified';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'string', length: 32 })
  provider!: string;

  @Property({ type: 'string', length: 255 })
  subject!: string;

  @Property({ type: 'string', length: 320, nullable: true })
  email: string | null = null;

  @Property({ type: 'boolean' })
  emailVerified: boolean = false;

  @Property({ type: DateTimeType })
  linkedAt: Date = new Date();

  @Property({ type: DateTimeType, nullable: true })
  lastUsedAt: Date | null = null;
}

/**
 * A social sign-in in progress, between beginSocialSignIn and the provider's callback: found by the
 * SHA-256 of its `state`, used once, ten minutes at most. Nothing secret is stored: the PKCE
 * verifier and the nonce are derived from the state with a key only the server has.
 */
@Entity({ tableName: 'oauth_requests' })
export class OAuthRequest {
  [OptionalProps]?: 'createdAt' | 'usedAt' | 'userId' | 'binderHash';

  @PrimaryKey({ type: 'string', length: 64 })
  stateHash!: string;

  @Property({ type: 'string', length: 32 })
  provider!: string;

  /** `sign-in`, or `link` (then `userId` is the signed-in user who asked). */
  @Property({ type: 'string', length: 16 })
  intent!: 'sign-in' | 'link';

  @Property({ type: 'uuid', nullable: true })
  userId: string | null = null;

  @Property({ type: 'text' })
  redirectTo!: string;

  /** SHA-256 of the binder handed to whoever began (null only for signInWithIdToken's replay rows). */
  @Property({ type: 'string', length: 64, nullable: true })
  binderHash: string | null = null;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType })
  expiresAt!: Date;

  @Property({ type: DateTimeType, nullable: true })
  usedAt: Date | null = null;
}

/**
 * The single-use, 60-second Plinto code the callback hands the app (in the URL fragment), by SHA-256
 * hash only. It carries what the provider proved; completeSocialSignIn turns it into a sign-in.
 */
@Entity({ tableName: 'oauth_codes' })
export class OAuthCode {
  [OptionalProps]?: 'createdAt' | 'usedAt' | 'email' | 'emailVerified' | 'intent' | 'userId' | 'binderHash';

  @PrimaryKey({ type: 'string', length: 64 })
  codeHash!: string;

  @Property({ type: 'string', length: 32 })
  provider!: string;

  @Property({ type: 'string', length: 255 })
  subject!: string;

  @Property({ type: 'string', length: 320, nullable: true })
  email: string | null = null;

  @Property({ type: 'boolean' })
  emailVerified: boolean = false;

  /** `sign-in` (completeSocialSignIn) or `link` (completeLinkIdentity, by `userId` only). */
  @Property({ type: 'string', length: 16 })
  intent: 'sign-in' | 'link' = 'sign-in';

  @Property({ type: 'uuid', nullable: true })
  userId: string | null = null;

  /** The request's binder hash: only the party that began can redeem the code. */
  @Property({ type: 'string', length: 64, nullable: true })
  binderHash: string | null = null;

  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Property({ type: DateTimeType })
  expiresAt!: Date;

  @Property({ type: DateTimeType, nullable: true })
  usedAt: Date | null = null;
}
