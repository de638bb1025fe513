// Listening helpers: bind, read the real port back, and close promptly (keep-alive sockets included).
import net, { type AddressInfo, type Server } from 'node:net';
import { LoopError } from './errors.js';
import { formatHostPort } from './host-port.js';

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

/**
 * Binds `server` to `address`. `flag` names the option that chose the address (`--listen`, `--admin`): an
 * address that cannot be bound (in use, a privileged port, not this machine's, a name that does not
 * resolve) is then a CONFIG_INVALID naming it, with the system's error as the cause.
 */
export function listen(server: ClosableServer, address: ListenAddress, flag?: string): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(bindError(err, address, flag));
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

/**
 * Fails as `listen(…, flag)` would when `address` cannot be bound, without keeping it: for a server that binds
 * later but should not find out only then (the gateway waits for its TapConfigs before it listens).
 */
export function checkBindable(address: ListenAddress, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err) => reject(bindError(err, address, flag)));
    probe.listen({ port: address.port, host: address.host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** The error `listen(…, flag)` gives for `err`: CONFIG_INVALID naming the flag and the reason for the usual bind failures, else `err`. */
export function bindError(err: Error, address: ListenAddress, flag: string | undefined): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const { host, port } = address;
  const reasons: Record<string, [reason: string, hint: string]> = {
    EADDRINUSE: ['the address is already in use', `stop what listens there (\`ss -ltnp 'sport = :${port}'\` names it), or give ${flag} another port`],
    EACCES: ['permission denied', `ports below 1024 need root or CAP_NET_BIND_SERVICE; give ${flag} a port above 1023`],
    EADDRNOTAVAIL: [`${host} is not an address of this machine`, `give ${flag} an address this machine has (127.0.0.1; 0.0.0.0 for all)`],
    ENOTFOUND: [`${host} does not resolve`, `give ${flag} an address or a name this machine resolves`],
  };
  const known = code === undefined ? undefined : reasons[code];
  if (!flag || !known) return err;
  return new LoopError('CONFIG_INVALID', `${flag}: cannot listen on ${formatHostPort(host, port)}: ${known[0]}`, { cause: err, hint: known[1], details: { flag, host, port, errno: code } });
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
