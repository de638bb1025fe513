// A minimal gdb remote serial protocol client: `$payload#checksum` packets, `+` acknowledgements.
// Enough to probe a gdbserver (qSupported) and to ask it things in tests.
import { connect, type Socket } from 'node:net';

export function gdbPacket(payload: string): string {
  let sum = 0;
  for (const b of Buffer.from(payload, 'latin1')) sum = (sum + b) & 0xff;
  return `$${payload}#${sum.toString(16).padStart(2, '0')}`;
}

/** Extracts the first complete packet's payload from `data`, or undefined when none is complete yet. */
export function parseGdbReply(data: string): { payload: string; rest: string } | undefined {
  const start = data.indexOf('$');
  if (start < 0) return undefined;
  const hash = data.indexOf('#', start);
  if (hash < 0 || data.length < hash + 3) return undefined;
  return { payload: data.slice(start + 1, hash), rest: data.slice(hash + 3) };
}

export interface GdbRemoteClient {
  request(payload: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

export function connectGdbRemote(host: string, port: number, timeoutMs = 5000): Promise<GdbRemoteClient> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port });
    let buffer = '';
    let waiter: ((payload: string) => void) | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const reply = parseGdbReply(buffer);
      if (reply && waiter) {
        buffer = reply.rest;
        socket.write('+');
        const w = waiter;
        waiter = undefined;
        w(reply.payload);
      }
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`gdb remote: connect to ${host}:${port} timed out`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({
        request(payload, ms = 5000) {
          return new Promise<string>((res, rej) => {
            const t = setTimeout(() => rej(new Error(`gdb remote: no reply to ${payload.slice(0, 20)}`)), ms);
            const onClose = (): void => rej(new Error('gdb remote: connection closed'));
            socket.once('close', onClose);
            waiter = (p) => {
              clearTimeout(t);
              socket.off('close', onClose);
              res(p);
            };
            buffer = '';
            socket.write(gdbPacket(payload));
          });
        },
        close: () => socket.destroy(),
      });
    });
  });
}
