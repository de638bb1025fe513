// A loopback TCP relay: listens on 127.0.0.1 and pipes every accepted connection to a socket obtained from a
// dialer. Plank uses it to hand the IDE one port it owns (closed on detach), and the netns dialer lets that
// socket reach a debugger listening inside another network namespace (a container's Node inspector).
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { LoopError } from '../../core/errors.js';

/** Opens a fresh connection to the relayed service. */
export type Dialer = () => Promise<Duplex>;

export interface Relay {
  host: '127.0.0.1';
  port: number;
  /** Connections currently relayed. */
  readonly connections: number;
  /** Stops listening and ends every relayed connection. Idempotent. */
  close(): Promise<void>;
}

export interface RelayOptions {
  dial: Dialer;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Called when a dial fails (the client's connection is closed). */
  onDialError?: (err: unknown) => void;
}

/** A dialer for host:port in our own network namespace. */
export function tcpDialer(host: string, port: number, timeoutMs = 5000): Dialer {
  return () =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host, port, allowHalfOpen: true });
      socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`)));
      socket.once('connect', () => {
        socket.setTimeout(0);
        resolve(socket);
      });
      socket.once('error', reject);
    });
}

/**
 * Listens on 127.0.0.1 (only: a debugger port is remote code execution) and relays each connection.
 *
 * @example const relay = await openRelay({ dial: tcpDialer('127.0.0.1', 9229) }); // IDE → relay.port
 */
export async function openRelay(options: RelayOptions): Promise<Relay> {
  const live = new Set<Duplex>();
  const clients = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    live.add(client);
    clients.add(client);
    client.once('close', () => {
      live.delete(client);
      clients.delete(client);
    });
    client.on('error', () => client.destroy());
    client.pause();
    options.dial().then(
      (upstream) => {
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        live.add(upstream);
        // pipe() carries each side's end to the other (half-close stays intact); an error tears down both.
        upstream.once('close', () => live.delete(upstream));
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        // A client that is gone (fully closed or reset) can take nothing more from upstream.
        client.once('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      },
      (err: unknown) => {
        options.onDialError?.(err);
        client.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new LoopError('CONFIG_INVALID', `port ${options.port} on 127.0.0.1 is already in use`, { cause: err, hint: 'choose another --port, or 0 for a free one' })
          : err,
      ),
    );
    server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let closed: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port,
    get connections() {
      return clients.size;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of live) socket.destroy();
      });
      return closed;
    },
  };
}
