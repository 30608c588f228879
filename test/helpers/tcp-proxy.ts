import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/**
 * A TCP forwarder on a loopback port, standing in for a virtual IP or a Kubernetes Service:
 * `switchTo` points new connections elsewhere and cuts the open ones, `freeze` stops passing bytes
 * (held in the sockets until `cut` throws them away: writes "acknowledged upstream, never delivered").
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private frozen = false;
  port = 0;

  constructor(private target: number) {
    this.server = createServer((client) => {
      const upstream = new (client.constructor as typeof Socket)();
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const close = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      upstream.connect(this.target, '127.0.0.1');
      if (this.frozen) {
        client.pause();
        upstream.pause();
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  /** Stops passing bytes both ways on every connection (new ones too), without closing anything. */
  freeze(): void {
    this.frozen = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Drops every open connection (and whatever bytes they still held). */
  cut(): void {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** The address now leads to `port`; open connections are cut, as when a VIP moves. */
  switchTo(port: number): void {
    this.target = port;
    this.frozen = false;
    this.cut();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
