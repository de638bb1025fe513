// A local TCP listener on 127.0.0.1 whose every connection is carried to a pod's port over the API
// server's port-forward websocket (client-node's PortForward, one websocket per connection, as kubectl).
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { PortForward } from '@kubernetes/client-node';
import { messageOf } from '../../core/errors.js';
import type { KubeConnection } from './kube-client.js';

export interface PodPortForward {
  host: string;
  port: number;
  close(): Promise<void>;
}

export interface PortForwardOptions {
  namespace: string;
  pod: string;
  podPort: number;
  /** Local port; 0 picks a free one. */
  localPort: number;
  /** A connection could not be carried (the pod refused, the port is closed). */
  onError?: (message: string) => void;
}

export async function forwardPodPort(conn: KubeConnection, o: PortForwardOptions): Promise<PodPortForward> {
  const forward = new PortForward(conn.kc);
  const open = new Set<Socket>();
  const closers = new Set<() => void>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    let failure = '';
    const errors = new Writable({
      write(chunk: Buffer, _enc, done) {
        failure += chunk.toString();
        done();
      },
    });
    forward.portForward(o.namespace, o.pod, [o.podPort], socket, errors, socket).then(
      (ws) => {
        const w = ws as unknown as { close(): void; on(e: 'close', f: () => void): void };
        const close = (): void => w.close();
        closers.add(close);
        w.on('close', () => {
          closers.delete(close);
          if (failure) o.onError?.(failure.trim());
          socket.end();
        });
        socket.on('close', close);
      },
      (err: unknown) => {
        o.onError?.(`port-forward to ${o.namespace}/${o.pod}:${o.podPort}: ${messageOf(err)}`);
        socket.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.localPort, '127.0.0.1', () => resolve());
  });
  const address = server.address() as { port: number };
  return {
    host: '127.0.0.1',
    port: address.port,
    async close() {
      for (const c of closers) c();
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
