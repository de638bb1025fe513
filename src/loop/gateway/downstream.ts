// What the proxy needs of a downstream request and its response. node:http's IncomingMessage and
// ServerResponse fit these, and so do the gateway's own Http1Request and Http1Response (http1-server.ts): the
// proxy runs on either server side (`loop gateway --server node|own`).
import type { Socket } from 'node:net';

/** A request body read as a stream: chunks with `data`, then `end`; `pause` and `resume` for backpressure. */
export interface BodySource {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'end', listener: () => void): unknown;
  off(event: 'data' | 'end', listener: (chunk: Buffer) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

export interface DownstreamRequest extends BodySource {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  /** Header names and values as received: [name, value, …]. */
  readonly rawHeaders: string[];
  /** Trailers of a chunked body, once it is complete. */
  readonly rawTrailers: string[];
  readonly socket: Socket;
  /** The whole body has been received. */
  readonly complete: boolean;
  readonly destroyed: boolean;
  /** Body bytes received and not yet read. */
  readonly readableLength: number;
  /** All the buffered body bytes (null when there are none). */
  read(): Buffer | null;
  isPaused(): boolean;
}

export interface DownstreamResponse {
  statusCode: number;
  sendDate: boolean;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  /** The whole response has been handed to the connection. */
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  /** `headers` flat: [name, value, …]. */
  writeHead(status: number, reason: string | undefined, headers: string[]): unknown;
  writeHead(status: number, headers: string[]): unknown;
  writeContinue(): void;
  /** False: wait for `drain`. */
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer): unknown;
  addTrailers(trailers: ReadonlyArray<[string, string]>): void;
  destroy(): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  once(event: 'close' | 'drain', listener: () => void): unknown;
}
