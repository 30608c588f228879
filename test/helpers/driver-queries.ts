import pg from 'pg';

/**
 * Records every statement the `pg` driver sends from this process, whatever made it (the ORM, or
 * the refresh rotation's pooledQuery, which bypasses the ORM's query hook), until restore().
 */
export function recordDriverQueries(): { texts: string[]; restore: () => void } {
  const texts: string[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const query = args[0] as string | { text?: string };
    texts.push(typeof query === 'string' ? query : (query.text ?? ''));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return {
    texts,
    restore: () => {
      pg.Client.prototype.query = original;
    },
  };
}
