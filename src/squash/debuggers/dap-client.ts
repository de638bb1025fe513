// A client for the Debug Adapter Protocol (debugpy, Delve's DAP server, anything VS Code attaches to):
// `Content-Length: N\r\n\r\n<N bytes of JSON>` framing, requests matched to responses by `request_seq`,
// events delivered to listeners, and reverse requests (adapter → client) answered. The framing and the
// bookkeeping take bytes in and hand bytes out (`createDapConnection`), so they are tested without a socket;
// `connectDap` wires them to TCP.
import { connect, type Socket } from 'node:net';
import { LoopError } from '../../core/errors.js';

/** One DAP message as sent on the wire (`seq` and `type` always present). */
export interface DapMessage {
  seq: number;
  type: 'request' | 'response' | 'event' | string;
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  arguments?: unknown;
  body?: unknown;
}

export interface DapEvent<B = Record<string, unknown>> {
  event: string;
  body: B;
}

/** Frames a message: `Content-Length` counts bytes of the UTF-8 body, not characters. */
export function encodeDapMessage(message: DapMessage): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
}

const HEADER_END = Buffer.from('\r\n\r\n', 'ascii');
/** A header block longer than this without its blank line is not DAP (e.g. an HTTP or JSON-RPC server). */
const MAX_HEADER_BYTES = 1024;

function protocolError(message: string, details: Record<string, unknown> = {}): LoopError {
  return new LoopError('DEBUGGER_ATTACH_FAILED', `DAP: ${message}`, {
    hint: 'check that the endpoint is a Debug Adapter Protocol server (debugpy, dlv dap), not another protocol',
    details,
  });
}

/**
 * Incremental decoder: `push` any chunk, get back every message completed by it (zero, one or several).
 * Throws a DEBUGGER_ATTACH_FAILED LoopError on a malformed header or body; the stream is unusable after.
 */
export function createDapDecoder(): { push(chunk: Buffer): DapMessage[] } {
  let buffer: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      const messages: DapMessage[] = [];
      for (;;) {
        const end = buffer.indexOf(HEADER_END);
        if (end < 0) {
          if (buffer.length > MAX_HEADER_BYTES) throw protocolError(`no end of header within ${MAX_HEADER_BYTES} bytes; got ${JSON.stringify(preview(buffer))}`);
          return messages;
        }
        let length: number | undefined;
        for (const line of buffer.subarray(0, end).toString('latin1').split('\r\n')) {
          const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
          if (!m) throw protocolError(`bad header line ${JSON.stringify(line)} (expected "Name: value", e.g. "Content-Length: 42")`);
          if (m[1]!.toLowerCase() !== 'content-length') continue; // DAP allows other headers; none are defined
          if (!/^\d+$/.test(m[2]!)) throw protocolError(`bad Content-Length ${JSON.stringify(m[2])} (expected a byte count)`);
          length = Number(m[2]);
        }
        if (length === undefined) throw protocolError(`header without Content-Length: ${JSON.stringify(preview(buffer.subarray(0, end)))}`);
        const start = end + HEADER_END.length;
        if (buffer.length < start + length) return messages;
        const text = buffer.subarray(start, start + length).toString('utf8');
        buffer = buffer.subarray(start + length);
        let message: DapMessage;
        try {
          message = JSON.parse(text) as DapMessage;
        } catch (err) {
          throw new LoopError('DEBUGGER_ATTACH_FAILED', `DAP: body is not JSON: ${JSON.stringify(text.slice(0, 80))}`, { cause: err });
        }
        if (typeof message !== 'object' || message === null || typeof message.type !== 'string') {
          throw protocolError(`message without a "type": ${JSON.stringify(text.slice(0, 80))}`);
        }
        messages.push(message);
      }
    },
  };
}

function preview(buf: Buffer): string {
  return buf.subarray(0, 60).toString('latin1');
}

export interface DapConnection {
  /**
   * Sends a request and resolves with the response's `body` ({} when absent). A response with
   * `success: false` rejects with the adapter's message; so do a timeout and the connection ending.
   */
  request<B = Record<string, unknown>>(command: string, args?: unknown, timeoutMs?: number): Promise<B>;
  /**
   * Resolves with the body of the next `event` (for which `accept` returns true) arriving after this call.
   * Call it before the request that causes the event, so the event cannot slip by.
   */
  nextEvent<B = Record<string, unknown>>(event: string, accept?: (body: B) => boolean, timeoutMs?: number): Promise<B>;
  /** Every event, in order; returns a function that removes the listener. */
  onEvent(listener: (event: DapEvent) => void): () => void;
  /**
   * Answers reverse requests (`runInTerminal`, `startDebugging`, …) named `command`. Unhandled ones are
   * answered `success: false`, as the protocol asks, so the adapter never waits forever.
   */
  onReverseRequest(command: string, handler: (args: unknown) => Promise<unknown> | unknown): void;
  /** Feed bytes received from the adapter. */
  receive(chunk: Buffer): void;
  /** The transport ended (`error` when it failed): pending requests and waits reject. */
  end(error?: Error): void;
  /** Settles when the connection ended: with the error that ended it, or undefined for a clean close. */
  ended: Promise<Error | undefined>;
  close(): void;
}

export interface DapTransport {
  write(data: Buffer): void;
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** The DAP protocol engine over any byte transport (a socket, a child's stdio, a test's array). */
export function createDapConnection(transport: DapTransport): DapConnection {
  const decoder = createDapDecoder();
  let seq = 1;
  let endedWith: Error | undefined;
  let isEnded = false;
  let resolveEnded!: (e: Error | undefined) => void;
  const ended = new Promise<Error | undefined>((resolve) => (resolveEnded = resolve));
  const pending = new Map<number, { command: string; resolve: (body: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(event: DapEvent) => void>();
  const waiters = new Set<(e: Error) => void>();
  const reverse = new Map<string, (args: unknown) => Promise<unknown> | unknown>();

  const send = (message: Omit<DapMessage, 'seq'>): number => {
    const s = seq++;
    transport.write(encodeDapMessage({ seq: s, ...message }));
    return s;
  };

  const answerReverse = async (message: DapMessage): Promise<void> => {
    const command = message.command ?? '';
    const handler = reverse.get(command);
    const reply = { type: 'response', request_seq: message.seq, command };
    try {
      if (!handler) throw new Error(`${command} is not supported by this client`);
      const body = await handler(message.arguments);
      if (!isEnded) send({ ...reply, success: true, ...(body === undefined ? {} : { body }) });
    } catch (err) {
      if (!isEnded) send({ ...reply, success: false, message: err instanceof Error ? err.message : String(err) });
    }
  };

  const dispatch = (message: DapMessage): void => {
    if (message.type === 'response') {
      const p = pending.get(message.request_seq ?? -1);
      if (!p) return;
      pending.delete(message.request_seq!);
      if (message.success) p.resolve(message.body ?? {});
      else {
        const detail = (message.body as { error?: { format?: string } } | undefined)?.error?.format;
        p.reject(
          new LoopError('DEBUGGER_ATTACH_FAILED', `DAP ${p.command} failed: ${message.message ?? 'no reason given'}${detail && detail !== message.message ? ` (${detail})` : ''}`, {
            details: { command: p.command, body: message.body ?? null },
          }),
        );
      }
    } else if (message.type === 'event') {
      const event = { event: message.event ?? '', body: (message.body ?? {}) as Record<string, unknown> };
      for (const l of [...listeners]) l(event);
    } else if (message.type === 'request') {
      void answerReverse(message);
    }
  };

  const end = (error?: Error): void => {
    if (isEnded) return;
    isEnded = true;
    endedWith = error;
    const reason = error ?? new LoopError('DEBUGGER_ATTACH_FAILED', 'DAP: connection closed');
    for (const [s, p] of pending) {
      pending.delete(s);
      p.reject(new LoopError('DEBUGGER_ATTACH_FAILED', `DAP ${p.command}: no response, ${reason.message}`, { cause: reason }));
    }
    for (const w of [...waiters]) w(reason);
    resolveEnded(error);
  };

  return {
    request<B>(command: string, args?: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<B> {
      if (isEnded) return Promise.reject(new LoopError('DEBUGGER_ATTACH_FAILED', `DAP ${command}: connection already ended`, { cause: endedWith }));
      return new Promise<B>((resolve, reject) => {
        const s = send({ type: 'request', command, ...(args === undefined ? {} : { arguments: args }) });
        const timer = setTimeout(() => {
          pending.delete(s);
          reject(new LoopError('DEBUGGER_TIMEOUT', `DAP ${command}: no response within ${timeoutMs} ms`, { details: { command, timeoutMs } }));
        }, timeoutMs);
        pending.set(s, {
          command,
          resolve: (body) => {
            clearTimeout(timer);
            resolve(body as B);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      });
    },
    nextEvent<B>(event: string, accept: (body: B) => boolean = () => true, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<B> {
      return new Promise<B>((resolve, reject) => {
        const finish = (err: Error | undefined, body?: B): void => {
          clearTimeout(timer);
          remove();
          waiters.delete(onEnd);
          if (err) reject(err);
          else resolve(body as B);
        };
        const onEnd = (e: Error): void => finish(new LoopError('DEBUGGER_ATTACH_FAILED', `DAP: no "${event}" event, ${e.message}`, { cause: e }));
        const timer = setTimeout(() => finish(new LoopError('DEBUGGER_TIMEOUT', `DAP: no "${event}" event within ${timeoutMs} ms`, { details: { event, timeoutMs } })), timeoutMs);
        const listener = (e: DapEvent): void => {
          if (e.event === event && accept(e.body as B)) finish(undefined, e.body as B);
        };
        listeners.add(listener);
        const remove = (): boolean => listeners.delete(listener);
        if (isEnded) return onEnd(endedWith ?? new Error('connection closed'));
        waiters.add(onEnd);
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    onReverseRequest(command, handler) {
      reverse.set(command, handler);
    },
    receive(chunk) {
      if (isEnded) return;
      let messages: DapMessage[];
      try {
        messages = decoder.push(chunk);
      } catch (err) {
        end(err as Error);
        transport.close();
        return;
      }
      for (const m of messages) dispatch(m);
    },
    end,
    ended,
    close() {
      transport.close();
      end();
    },
  };
}

/** Connects to a DAP server on TCP (debugpy's adapter, `dlv dap`, `dlv --headless` DAP clients). */
export function connectDap(host: string, port: number, timeoutMs = 5000): Promise<DapConnection> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new LoopError('DEBUGGER_TIMEOUT', `DAP: connect to ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new LoopError('DEBUGGER_ATTACH_FAILED', `DAP: cannot connect to ${host}:${port}: ${err.message}`, { cause: err }));
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      const connection = createDapConnection({ write: (data) => void socket.write(data), close: () => socket.destroy() });
      socket.on('data', (chunk: Buffer) => connection.receive(chunk));
      socket.on('error', (err) => connection.end(err));
      socket.on('close', () => connection.end());
      resolve(connection);
    });
  });
}
