import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The accept queue asked of the kernel (Linux caps it at net.core.somaxconn, 4096 by default since
 * 5.4). Node's default, 511, overflowed when 2,000 keep-alive clients connected at once (issue 24):
 * the kernel dropped their handshakes (ListenOverflows), so they connected seconds late, after SYN
 * retries, or not at all.
 */
export const LISTEN_BACKLOG = 4096;

export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () =>
      resolve((server.address() as AddressInfo).port),
    );
  });
}

/**
 * Stops accepting connections and resolves once every in-flight request has been answered.
 * Keep-alive connections are closed as soon as they fall idle (a response just finished).
 */
export function stopAccepting(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
