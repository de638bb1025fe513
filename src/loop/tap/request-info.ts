// What a tap point tells the tap about a request it received, built on demand: most exchanges are ruled out
// at the request head (or the tap is on for response-side configs only), so the header pairs and the
// downstream addresses are only made when something reads them — usually only for an exchange a TapConfig
// keeps. The gateway and services tapping themselves (with-tap.ts) both describe their requests with it.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { rawHeaderPairs, type ConnectionInfo, type HeaderList } from '../../capture/capture.js';
import type { TapRequestInfo } from './tap-types.js';

/** A request as a server received it: node:http's IncomingMessage and the gateway's own request both are one. */
export interface ReceivedRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  /** Header names and values as received: [name, value, …]. */
  readonly rawHeaders: readonly string[];
  readonly socket: Socket;
}

/** A class so that the lazy parts are prototype getters, not closures made per request. */
export class ReceivedRequestInfo implements TapRequestInfo {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly rawHeaders: readonly string[];
  readonly destination: string;
  private pairs: HeaderList | undefined;

  /**
   * `destination`: the DESTINATION recorded (the gateway's route); default the request's Host.
   * `addresses`: how the downstream ConnectionInfo is found (the gateway caches it on its own sockets;
   * with-tap takes it when the request arrives).
   */
  constructor(
    private readonly req: ReceivedRequest,
    destination: string | undefined,
    private readonly addresses: (socket: Socket) => ConnectionInfo,
  ) {
    this.method = req.method ?? 'GET';
    this.path = req.url ?? '/';
    // From the raw list: node:http's `req.headers` would build an object of every header for this one.
    this.authority = hostOf(req.rawHeaders);
    this.rawHeaders = req.rawHeaders;
    this.destination = destination ?? this.authority;
  }

  get scheme(): 'http' | 'https' {
    return schemeOf(this.req.socket);
  }

  get headers(): HeaderList {
    return (this.pairs ??= rawHeaderPairs(this.rawHeaders));
  }

  get downstream(): ConnectionInfo {
    return this.addresses(this.req.socket);
  }
}

// A keep-alive connection carries many requests and its addresses never change: the gateway works them out
// once per socket. (A service tapping itself does not get properties added to its sockets.)
const DOWNSTREAM = Symbol('loop.downstream');
type WithDownstream = Socket & { [DOWNSTREAM]?: ConnectionInfo };

/** connectionOf, kept on the socket for the next request of the connection. */
export function connectionOfCached(socket: WithDownstream): ConnectionInfo {
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

export function schemeOf(socket: Socket | null | undefined): 'http' | 'https' {
  return (socket as TLSSocket | null | undefined)?.encrypted ? 'https' : 'http';
}

function localOf(socket: Socket | null | undefined): ConnectionInfo['local'] {
  return socket?.localAddress !== undefined && socket.localPort !== undefined ? { address: socket.localAddress, port: socket.localPort } : undefined;
}

function remoteOf(socket: Socket | null | undefined): ConnectionInfo['remote'] {
  return socket?.remoteAddress !== undefined && socket.remotePort !== undefined ? { address: socket.remoteAddress, port: socket.remotePort } : undefined;
}
