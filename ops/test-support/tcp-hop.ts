import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP hop on 127.0.0.1 in front of a real server (Postgres, the S3 server), for outage tests:
 * `cut()` is the server going away (connections die, new ones are refused) and `open()` again
 * brings it back on the same port; `freeze()` is a hung server (connections stay open, nothing
 * passes either way, what was sent is lost) until `thaw()`; `stall()` is one that stops reading
 * and later carries on where it stopped, until `unstall()`.
 */
export class TcpHop {
  port = 0;
  private server?: Server;
  private frozen = false;
  private stalled = false;
  private readonly sockets = new Set<Socket>();

  /** listenHost: 127.0.0.1, or an address the test itself made (a veth end, for network-namespace tests). */
  constructor(
    private readonly target: { host?: string; port: number },
    private readonly listenHost = '127.0.0.1',
  ) {}

  get endpoint(): string {
    return `http://${this.listenHost}:${this.port}`;
  }

  async open(): Promise<this> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host ?? '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => this.sockets.delete(socket));
        if (this.stalled) socket.pause();
      }
      const pass = (from: Socket, to: Socket) =>
        from.on('data', (data: Buffer) => {
          if (!this.frozen) to.write(data); // frozen: swallowed, as a hung server neither reads nor answers
        });
      pass(client, upstream);
      pass(upstream, client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, this.listenHost, resolve));
    this.port = (this.server!.address() as { port: number }).port;
    return this;
  }

  /**
   * A server that stops reading and answering but loses nothing: nothing passes either way, and what
   * was sent waits in the sockets (TCP holds the senders back) until `unstall()` lets it all through.
   */
  stall(): void {
    this.stalled = true;
    for (const socket of this.sockets) socket.pause();
  }

  unstall(): void {
    this.stalled = false;
    for (const socket of this.sockets) socket.resume();
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
  }

  async cut(): Promise<void> {
    const closed = new Promise((resolve) => this.server?.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
