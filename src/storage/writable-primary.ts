/** The slice of a pg client this check needs. */
interface QueryableConnection {
  query(
    sql: string,
    callback: (error: Error | null, result?: { rows: Array<Record<string, string>> }) => void,
  ): void;
}

/**
 * libpq's `target_session_attrs=read-write`, for the pool: a new connection is kept only if the
 * server accepts writes. Behind a virtual IP or Service that still leads to a standby (or a
 * demoted primary) during a failover, connecting fails like an outage (the pool retries until its
 * acquire timeout, then the request is answered SERVICE_UNAVAILABLE) instead of reaching a
 * read-only server that would fail each write halfway through a flow. node-postgres itself
 * ignores target_session_attrs, hence this check on every new connection.
 */
export function requireWritablePrimary(
  connection: QueryableConnection,
  done: (error: Error | null, connection: QueryableConnection) => void,
): void {
  connection.query('show transaction_read_only', (error, result) => {
    if (error) return done(error, connection);
    if (result?.rows[0]?.transaction_read_only !== 'off') {
      // 57P03 cannot_connect_now: what PostgreSQL itself answers while it cannot take this session.
      const refused = Object.assign(new Error('the server is read-only (a standby), not the primary'), {
        code: '57P03',
      });
      return done(refused, connection);
    }
    done(null, connection);
  });
}
