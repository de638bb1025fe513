// Test fixtures for the gateway: real upstream servers on loopback, a gateway in front of them, a plain
// node:http client that exposes trailers and streaming, and a Tap that records every call.
import http from 'node:http';
import { afterEach } from 'vitest';
import { rawHeaderPairs, type HeaderList } from '../../capture/capture.js';
import { listen, type Listening } from '../../core/listen.js';
import { silentLogger } from '../../core/logger.js';
import { freePort } from '../../core/ports.test-helper.js';
import type { Tap, TapExchange, TapRequestInfo } from '../tap/tap-types.js';
import { createGatewayHandler, createGatewayServer, type GatewayHandler, type GatewayHandlerOptions, type GatewayServerKind } from './reverse-proxy.js';

export interface RecordedExchange {
  info: TapRequestInfo;
  requestBody: Buffer;
  requestEnded: boolean;
  requestTrailers?: HeaderList;
  status?: number;
  responseHeaders?: HeaderList;
  responseBody: Buffer;
  ended?: { trailers?: HeaderList; error?: string; upstream?: unknown };
  calls: string[];
}

export interface RecordingTap extends Tap {
  exchanges: RecordedExchange[];
  /** Resolves when `n` exchanges have ended. */
  ended(n: number): Promise<RecordedExchange[]>;
}

export function recordingTap(): RecordingTap {
  const exchanges: RecordedExchange[] = [];
  const waiters: Array<() => void> = [];
  const notify = (): void => waiters.splice(0).forEach((w) => w());
  return {
    exchanges,
    begin(info) {
      const r: RecordedExchange = { info, requestBody: Buffer.alloc(0), requestEnded: false, responseBody: Buffer.alloc(0), calls: ['begin'] };
      exchanges.push(r);
      const exchange: TapExchange = {
        requestData(chunk) {
          r.calls.push('requestData');
          r.requestBody = Buffer.concat([r.requestBody, chunk]);
        },
        requestEnd(trailers) {
          r.calls.push('requestEnd');
          r.requestEnded = true;
          if (trailers) r.requestTrailers = trailers;
        },
        response(status, headers) {
          r.calls.push('response');
          r.status = status;
          // Pairs, as tests compare them; the flat list must hold whole pairs.
          if (headers.length % 2 !== 0) throw new Error(`response headers: odd flat list ${JSON.stringify(headers)}`);
          r.responseHeaders = rawHeaderPairs(headers);
        },
        responseData(chunk) {
          r.calls.push('responseData');
          r.responseBody = Buffer.concat([r.responseBody, chunk]);
        },
        end(result) {
          r.calls.push('end');
          r.ended = result ?? {};
          notify();
        },
      };
      return exchange;
    },
    async close() {},
    ended(n) {
      return new Promise((resolve) => {
        const check = (): void => {
          const done = exchanges.filter((e) => e.ended);
          if (done.length >= n) resolve(done);
          else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** A tap whose every method throws. */
export function throwingTap(where: 'begin' | 'exchange'): Tap {
  const boom = (): never => {
    throw new Error('tap exploded');
  };
  return {
    begin: where === 'begin' ? boom : () => ({ requestData: boom, requestEnd: boom, response: boom, responseData: boom, end: boom }),
    close: boom,
  };
}

export interface Upstream extends Listening {
  /** host:port */
  address: string;
  connections: number;
  server: http.Server;
}

export async function startUpstream(handler: http.RequestListener): Promise<Upstream> {
  const server = http.createServer(handler);
  const listening = await listen(server, { host: '127.0.0.1', port: 0 });
  const upstream: Upstream = { ...listening, address: `127.0.0.1:${listening.port}`, connections: 0, server };
  server.on('connection', () => upstream.connections++);
  return upstream;
}

export interface TestGateway extends Listening {
  gateway: GatewayHandler;
}

/** Server sides the gateway's HTTP tests run against. */
export const SERVER_KINDS: readonly GatewayServerKind[] = ['node', 'own'];

export async function startTestGateway(
  options: Partial<GatewayHandlerOptions> & Pick<GatewayHandlerOptions, 'routes'> & { server?: GatewayServerKind },
): Promise<TestGateway> {
  const { server, ...handlerOptions } = options;
  const gateway = createGatewayHandler({ logger: silentLogger, ...handlerOptions });
  const listening = await listen(createGatewayServer(gateway, server), { host: '127.0.0.1', port: 0 });
  return {
    ...listening,
    gateway,
    async close() {
      gateway.close(); // first: upgraded connections are the gateway's, and node:http's close waits for them
      await listening.close();
    },
  };
}

export interface ClientResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  trailers: Record<string, string | undefined>;
}

/** One request with node:http (trailers and raw headers visible); `body` is written, then the request ends. */
export function request(
  url: string,
  options: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders | string[]; body?: Buffer | string; agent?: http.Agent | false } = {},
): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers, agent: options.agent ?? false });
    req.on('error', reject);
    req.on('response', (res) => collect(res).then(resolve, reject));
    req.end(options.body);
  });
}

export function collect(res: http.IncomingMessage): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), trailers: res.trailers }));
  });
}

/** A host:port where nothing listens: bound by us a moment ago, then released. */
export async function closedPortAddress(): Promise<string> {
  return `127.0.0.1:${await freePort()}`;
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Cleanups run after each test of the calling file, last first. `track` registers a gateway or upstream
 * (anything with `close()`) and hands it back.
 */
export function cleanupAfterEach(): { cleanups: Array<() => Promise<void>>; track<T extends { close(): Promise<void> }>(x: T): T } {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    cleanups,
    track(x) {
      cleanups.push(() => x.close());
      return x;
    },
  };
}
