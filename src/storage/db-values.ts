/** A date column as a raw query returns it: a Date from PostgreSQL, epoch milliseconds from SQLite. */
export type DbDate = Date | string | number;

export const toDate = (value: DbDate): Date => (value instanceof Date ? value : new Date(value));

export const toDateOrNull = (value: DbDate | null): Date | null => (value === null ? null : toDate(value));
