// Upstream connection pools for the undici leg of the gateway: one keep-alive undici Pool per destination
// (pipelining 1, so a slow response never holds up another request on its connection). The pool's sockets
// are not visible per request, so the remote address reported to the tap is the one the destination's
// latest connection reached — exact for IP-literal destinations, the current resolution for names.
import type { Socket } from 'node:net';
import { buildConnector, Pool } from 'undici';
import type { SocketAddress } from '../../capture/capture.js';
import type { ResolvedDestination } from '../replay/destination.js';

export interface UpstreamPoolOptions {
  /** Connections per destination. */
  connections: number;
  /** Idle time before a pooled connection is closed (kept below Node upstreams' 5 s keep-alive timeout). */
  keepAliveTimeoutMs: number;
}

export interface UpstreamPool {
  pool: Pool;
  /** Where the destination's latest connection went. */
  remote: SocketAddress | undefined;
}

export class UpstreamPools {
  private readonly byTarget = new WeakMap<ResolvedDestination, UpstreamPool>();
  private readonly byOrigin = new Map<string, UpstreamPool>();
  private readonly connector = buildConnector({});

  constructor(private readonly options: UpstreamPoolOptions) {}

  /** The pool for a destination, created on first use. */
  for(target: ResolvedDestination): UpstreamPool {
    let entry = this.byTarget.get(target);
    if (entry) return entry;
    const origin = `${target.protocol}//${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    entry = this.byOrigin.get(origin);
    if (!entry) {
      const seen: { remote: SocketAddress | undefined } = { remote: undefined };
      const connector = this.connector;
      const pool = new Pool(origin, {
        connections: this.options.connections,
        pipelining: 1,
        keepAliveTimeout: this.options.keepAliveTimeoutMs,
        keepAliveMaxTimeout: this.options.keepAliveTimeoutMs,
        // The gateway's own timers (route timeout) are passed per request.
        headersTimeout: 0,
        bodyTimeout: 0,
        connect(opts, callback) {
          connector(opts, (err, socket) => {
            if (socket) seen.remote = addressOf(socket);
            (callback as (e: Error | null, s: Socket | null) => void)(err, socket);
          });
        },
      });
      entry = Object.assign(seen, { pool });
      this.byOrigin.set(origin, entry);
    }
    this.byTarget.set(target, entry);
    return entry;
  }

  /** Closes every pooled connection; requests still running fail. */
  close(): void {
    for (const entry of this.byOrigin.values()) entry.pool.destroy().catch(() => {});
    this.byOrigin.clear();
  }
}

function addressOf(socket: Socket): SocketAddress | undefined {
  return socket.remoteAddress !== undefined && socket.remotePort !== undefined ? { address: socket.remoteAddress, port: socket.remotePort } : undefined;
}
