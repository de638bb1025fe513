// Test support (imported by the *.test.ts files only): real debuggee processes and small protocol probes.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

export interface Target {
  child: ChildProcess;
  pid: number;
  /** Resolves with the first stdout line matching `re`. */
  line(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(): void;
}

export function startTarget(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Target {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let out = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    for (const l of listeners) l();
  });
  child.stderr!.on('data', () => undefined);
  return {
    child,
    pid: child.pid!,
    line(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const from = out.length;
        const check = (): void => {
          const m = re.exec(out.slice(from === 0 ? 0 : 0));
          if (m) {
            listeners.delete(check);
            clearTimeout(t);
            resolve(m);
          }
        };
        const t = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no output matching ${re} within ${timeoutMs} ms; got: ${out.slice(-300)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    stop: () => void child.kill('SIGKILL'),
  };
}

/** Number of stdout bytes so far; for targets whose proof of life is that they keep writing. */
export function outputGrows(child: ChildProcess, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    child.stdout!.once('data', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

export async function httpGetText(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

/** Opens a TCP connection, writes `request`, resolves with the bytes received once `done(buf)` says so. */
export function tcpExchange(port: number, request: Buffer | string, done: (buf: Buffer) => boolean, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => {
      socket.destroy();
      reject(new Error(`tcp exchange on ${port} timed out; got ${buf.length} bytes`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (done(buf)) {
        clearTimeout(t);
        socket.destroy();
        resolve(buf);
      }
    });
    socket.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    socket.once('connect', () => socket.write(request));
  });
}

/** One DAP request (Content-Length framing) and its response body. */
export async function dapRequest(port: number, command: string, args: Record<string, unknown>): Promise<{ success: boolean; command: string; type: string }> {
  const body = JSON.stringify({ seq: 1, type: 'request', command, arguments: args });
  const framed = `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const find = (buf: Buffer): { type: string; command: string; success: boolean } | undefined => {
    let text = buf.toString('utf8');
    while (true) {
      const m = /Content-Length: (\d+)\r\n\r\n/.exec(text);
      if (!m) return undefined;
      const start = m.index + m[0].length;
      const len = Number(m[1]);
      if (Buffer.byteLength(text.slice(start)) < len) return undefined;
      const msg = JSON.parse(text.slice(start, start + len)) as { type: string; command: string; success: boolean };
      if (msg.type === 'response') return msg;
      text = text.slice(start + len);
    }
  };
  const buf = await tcpExchange(port, framed, (b) => find(b) !== undefined);
  return find(buf)!;
}

/** JDWP handshake, then VirtualMachine.Version (command set 1, command 1); returns the reply's VM name. */
export async function jdwpVersion(port: number): Promise<{ handshake: string; errorCode: number; description: string }> {
  const handshake = Buffer.from('JDWP-Handshake');
  const cmd = Buffer.alloc(11);
  cmd.writeUInt32BE(11, 0);
  cmd.writeUInt32BE(1, 4); // id
  cmd[8] = 0; // flags
  cmd[9] = 1; // VirtualMachine
  cmd[10] = 1; // Version
  const complete = (b: Buffer): boolean => b.length >= 14 + 4 && b.length >= 14 + b.readUInt32BE(14);
  const buf = await tcpExchange(port, Buffer.concat([handshake, cmd]), complete);
  const reply = buf.subarray(14);
  const errorCode = reply.readUInt16BE(9);
  const descLen = reply.readUInt32BE(11);
  return { handshake: buf.subarray(0, 14).toString(), errorCode, description: reply.subarray(15, 15 + descLen).toString() };
}

export function elapsed(start: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - start) / 1e6);
}

/**
 * A zombie: a child that exited and that its parent (a sleeping Python, killed by `stop`) does not reap.
 * Resolves with the zombie's PID once it is one.
 */
export async function startZombie(): Promise<{ pid: number; stop(): void }> {
  const parent = startTarget('/usr/bin/python3', ['-c', 'import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\nos.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)\nprint("zombie", pid, flush=True)\ntime.sleep(600)']);
  const pid = Number((await parent.line(/zombie (\d+)/))[1]);
  return { pid, stop: parent.stop };
}
