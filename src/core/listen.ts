// Listening helpers: bind, read the real port back, and close promptly (keep-alive sockets included).
import type { AddressInfo, Server } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface Listening {
  /** `http://host:port` with the port actually bound. */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** A server whose connections `close()` can cut: node:http's and node:https's, or the gateway's own. */
export type ClosableServer = Server & { closeAllConnections(): void };

export function listen(server: ClosableServer, address: ListenAddress): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      const bound = server.address() as AddressInfo;
      const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
      resolve({
        url: `http://${host}:${bound.port}`,
        host: bound.address,
        port: bound.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Parse `host:port`, `[v6]:port` or `:port`; a missing host is `defaultHost`. */
export function parseHostPort(value: string, defaultHost = '127.0.0.1'): ListenAddress | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? (m[2] === '' || m[2] === undefined ? defaultHost : m[2]);
  return { host, port };
}
