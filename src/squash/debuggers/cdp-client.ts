// A minimal Chrome DevTools Protocol client over a hand-written WebSocket (Node 20 has no global
// WebSocket): HTTP upgrade, masked client text frames, unfragmented server text frames. Enough to
// evaluate an expression in an inspector target; not a general WebSocket implementation.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { unbracketHost } from '../../core/host-port.js';

export function encodeClientFrame(text: string, mask = randomBytes(4)): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const len = payload.length;
  const header = len < 126 ? Buffer.from([0x81, 0x80 | len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    header[0] = 0x81;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([header, mask, masked]);
}

/** Decodes one unmasked server frame from the start of `buf`, or undefined if incomplete. */
export function decodeServerFrame(buf: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (buf.length < 2) return undefined;
  const opcode = buf[0]! & 0x0f;
  let len = buf[1]! & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  if (buf.length < offset + len) return undefined;
  return { opcode, payload: buf.subarray(offset, offset + len), size: offset + len };
}

export interface CdpClient {
  send<T = unknown>(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Sends without waiting for the reply (for commands that may tear the connection down). */
  post(method: string, params?: Record<string, unknown>): void;
  close(): void;
}

export function connectCdp(websocketUrl: string, timeoutMs = 5000): Promise<CdpClient> {
  const url = new URL(websocketUrl);
  return new Promise((resolve, reject) => {
    const req = request({
      host: unbracketHost(url.hostname), // ws://[::1]:9229: the address without its brackets
      port: url.port,
      path: url.pathname,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      },
      timeout: timeoutMs,
    });
    req.once('timeout', () => req.destroy(new Error(`CDP: connect to ${websocketUrl} timed out`)));
    req.once('error', reject);
    req.once('response', (res) => reject(new Error(`CDP: upgrade refused with HTTP ${res.statusCode}`)));
    req.once('upgrade', (_res, socket: Socket, head: Buffer) => {
      socket.setTimeout(0);
      let buffer = head;
      let nextId = 1;
      const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        let frame;
        while ((frame = decodeServerFrame(buffer))) {
          buffer = buffer.subarray(frame.size);
          if (frame.opcode !== 1) continue;
          const msg = JSON.parse(frame.payload.toString('utf8')) as { id?: number; result?: unknown; error?: { message: string } };
          if (msg.id === undefined) continue;
          const p = pending.get(msg.id);
          pending.delete(msg.id);
          if (msg.error) p?.reject(new Error(`CDP: ${msg.error.message}`));
          else p?.resolve(msg.result);
        }
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        for (const p of pending.values()) p.reject(new Error('CDP: connection closed'));
        pending.clear();
      });
      const write = (id: number, method: string, params: Record<string, unknown>): void => {
        socket.write(encodeClientFrame(JSON.stringify({ id, method, params })));
      };
      resolve({
        send<T>(method: string, params: Record<string, unknown> = {}, ms = 5000): Promise<T> {
          const id = nextId++;
          return new Promise<T>((res, rej) => {
            const t = setTimeout(() => {
              pending.delete(id);
              rej(new Error(`CDP: ${method} timed out`));
            }, ms);
            pending.set(id, {
              resolve: (v) => {
                clearTimeout(t);
                res(v as T);
              },
              reject: (e) => {
                clearTimeout(t);
                rej(e);
              },
            });
            write(id, method, params);
          });
        },
        post: (method, params = {}) => write(nextId++, method, params),
        close: () => socket.destroy(),
      });
    });
    req.end();
  });
}
