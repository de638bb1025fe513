// What the gateway tells the tap about a request, built on demand: most exchanges are ruled out at the
// request head (or the tap is on for response-side configs only), so the header pairs and the downstream
// addresses are only made when something reads them — usually only for an exchange a TapConfig keeps.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ConnectionInfo, HeaderList } from '../../capture/capture.js';
import type { TapRequestInfo } from '../tap/tap-types.js';
import type { DownstreamRequest } from './downstream.js';
import { headerPairs } from './proxy-headers.js';

/** A class so that the lazy parts are prototype getters, not closures made per request. */
export class GatewayRequestInfo implements TapRequestInfo {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly rawHeaders: readonly string[];
  private pairs: HeaderList | undefined;

  constructor(
    private readonly req: DownstreamRequest,
    readonly destination: string,
  ) {
    this.method = req.method ?? 'GET';
    this.path = req.url ?? '/';
    // From the raw list: `req.headers` would build an object of every header for this one.
    this.authority = hostOf(req.rawHeaders);
    this.rawHeaders = req.rawHeaders;
  }

  get scheme(): 'http' | 'https' {
    return schemeOf(this.req.socket);
  }

  get headers(): HeaderList {
    return (this.pairs ??= headerPairs(this.rawHeaders));
  }

  get downstream(): ConnectionInfo {
    return downstreamOf(this.req.socket);
  }
}

// A keep-alive connection carries many requests and its addresses never change: worked out once per socket.
const DOWNSTREAM = Symbol('loop.downstream');
type WithDownstream = Socket & { [DOWNSTREAM]?: ConnectionInfo };

function downstreamOf(socket: WithDownstream): ConnectionInfo {
  return (socket[DOWNSTREAM] ??= connectionOf(socket));
}

/**
 * A socket's two addresses, as a capture records them. Every ConnectionInfo the gateway hands the tap is made
 * here, so they share one shape: the capture encoder reads `local` and `remote` of each without a
 * megamorphic lookup.
 */
export function connectionOf(socket: Socket): ConnectionInfo {
  return Object.freeze({ local: localOf(socket), remote: remoteOf(socket) });
}

function hostOf(raw: readonly string[]): string {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') return raw[i + 1]!;
  return '';
}

export function schemeOf(socket: Socket): 'http' | 'https' {
  return (socket as TLSSocket).encrypted ? 'https' : 'http';
}

export function localOf(socket: Socket | null | undefined): ConnectionInfo['local'] {
  return socket?.localAddress !== undefined && socket.localPort !== undefined ? { address: socket.localAddress, port: socket.localPort } : undefined;
}

export function remoteOf(socket: Socket | null | undefined): ConnectionInfo['remote'] {
  return socket?.remoteAddress !== undefined && socket.remotePort !== undefined ? { address: socket.remoteAddress, port: socket.remotePort } : undefined;
}
