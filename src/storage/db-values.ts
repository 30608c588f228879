import type { EntityManager } from '@mikro-orm/core';

/** A date column as a raw query returns it: a Date from PostgreSQL, epoch milliseconds from SQLite. */
export type DbDate = Date | string | number;

export const toDate = (value: DbDate): Date => (value instanceof Date ? value : new Date(value));

export const toDateOrNull = (value: DbDate | null): Date | null => (value === null ? null : toDate(value));

/** A date as a raw statement must bind it: PostgreSQL takes the Date, SQLite stores epoch milliseconds. */
export const toDbDate = (em: EntityManager, date: Date): unknown =>
  em.getPlatform().processDateProperty(date);
