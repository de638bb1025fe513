// A local TCP listener on 127.0.0.1 whose every connection is carried to a pod's port over the API
// server's port-forward websocket (client-node's PortForward, one websocket per connection, as kubectl).
// The listener is bound before there is a pod to forward to: a --port that cannot be bound is refused
// before a plank pod is started for nothing.
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { PortForward } from '@kubernetes/client-node';
import { messageOf } from '../../core/errors.js';
import { bindError } from '../../core/listen.js';
import type { KubeConnection } from './kube-client.js';

export interface PodPortForward {
  host: string;
  port: number;
  /** From now on, connections go to this pod's port; until then, they are closed. */
  forwardTo(target: PodPort): void;
  close(): Promise<void>;
}

export interface PodPort {
  namespace: string;
  pod: string;
  podPort: number;
}

export interface PortForwardOptions {
  /** Local port; 0 picks a free one. */
  localPort: number;
  /** A connection could not be carried (the pod refused, the port is closed). */
  onError?: (message: string) => void;
}

/** @throws LoopError CONFIG_INVALID naming --port when the local port cannot be bound (in use, privileged). */
export async function listenForPodPort(conn: KubeConnection, o: PortForwardOptions): Promise<PodPortForward> {
  const forward = new PortForward(conn.kc);
  const open = new Set<Socket>();
  const closers = new Set<() => void>();
  let target: PodPort | undefined;
  const server: Server = createServer((socket) => {
    const to = target;
    if (!to) return void socket.destroy();
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    let failure = '';
    const errors = new Writable({
      write(chunk: Buffer, _enc, done) {
        failure += chunk.toString();
        done();
      },
    });
    forward.portForward(to.namespace, to.pod, [to.podPort], socket, errors, socket).then(
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
        o.onError?.(`port-forward to ${to.namespace}/${to.pod}:${to.podPort}: ${messageOf(err)}`);
        socket.destroy();
      },
    );
  });
  const address = { host: '127.0.0.1', port: o.localPort };
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(bindError(err, address, '--port')));
    server.listen(address.port, address.host, () => resolve());
  });
  const bound = server.address() as { port: number };
  return {
    host: address.host,
    port: bound.port,
    forwardTo(t) {
      target = t;
    },
    async close() {
      for (const c of closers) c();
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
