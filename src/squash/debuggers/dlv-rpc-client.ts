// A minimal client for Delve's JSON-RPC (Go net/rpc/jsonrpc, JSON-RPC 1.0 style: one JSON object per line,
// `{"method":"RPCServer.X","params":[{...}],"id":N}` → `{"id":N,"result":...,"error":null}`).
import { connect, type Socket } from 'node:net';

export interface DlvRpcClient {
  call<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  close(): void;
}

export function connectDlvRpc(host: string, port: number, timeoutMs = 5000): Promise<DlvRpcClient> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`dlv JSON-RPC: connect to ${host}:${port} timed out`));
    }, timeoutMs);
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    let nextId = 1;
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as { id: number; result?: unknown; error?: string | null };
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (!p) continue;
        if (msg.error) p.reject(new Error(`dlv JSON-RPC: ${msg.error}`));
        else p.resolve(msg.result);
      }
    });
    const failAll = (err: Error): void => {
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    socket.on('error', (err) => {
      clearTimeout(timer);
      failAll(err);
      reject(err);
    });
    socket.on('close', () => failAll(new Error('dlv JSON-RPC: connection closed')));
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({
        call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
          const id = nextId++;
          return new Promise<T>((res, rej) => {
            pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
            socket.write(JSON.stringify({ method, params: [params], id }) + '\n');
          });
        },
        close: () => socket.destroy(),
      });
    });
  });
}
