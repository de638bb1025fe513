// Which TCP ports a process itself listens on, from /proc: its socket inodes (/proc/PID/fd) matched against
// the listening sockets of its own network namespace (/proc/PID/net/tcp{,6}). Lets a debugger prove that a
// port belongs to the target and not to some other process that got there first.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface ListeningSocket {
  /** Dotted IPv4 or expanded IPv6 address. */
  address: string;
  port: number;
  inode: number;
}

const TCP_LISTEN = '0A';

/** Parses /proc/net/tcp or tcp6 text into its listening sockets. */
export function parseProcNetTcp(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== TCP_LISTEN) continue;
    const [hexAddr = '', hexPort = ''] = (f[1] ?? '').split(':');
    out.push({ address: decodeAddress(hexAddr), port: parseInt(hexPort, 16), inode: Number(f[9]) });
  }
  return out;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    // IPv4, little-endian u32.
    return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
  }
  // IPv6: four little-endian u32 words.
  const words: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = [6, 4, 2, 0].map((i) => word.slice(i, i + 2)).join('');
    words.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  return words.map((x) => x.toLowerCase()).join(':');
}

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '0000:0000:0000:0000:0000:0000:0000:0001';
}

/** Socket inodes among the process's open files. */
export async function socketInodes(pid: number, procRoot = '/proc'): Promise<Set<number>> {
  const dir = join(procRoot, String(pid), 'fd');
  const inodes = new Set<number>();
  const fds = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    fds.map(async (fd) => {
      const link = await readlink(join(dir, fd)).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m) inodes.add(Number(m[1]));
    }),
  );
  return inodes;
}

/** Listening sockets in the process's network namespace (any owner). */
export async function namespaceListeners(pid: number, procRoot = '/proc'): Promise<ListeningSocket[]> {
  const read = (f: string): Promise<string> => readFile(join(procRoot, String(pid), 'net', f), 'utf8').catch(() => '');
  const [v4, v6] = await Promise.all([read('tcp'), read('tcp6')]);
  return [...parseProcNetTcp(v4), ...parseProcNetTcp(v6)];
}

/** TCP sockets the process itself listens on. */
export async function ownListeners(pid: number, procRoot = '/proc'): Promise<ListeningSocket[]> {
  const [inodes, all] = await Promise.all([socketInodes(pid, procRoot), namespaceListeners(pid, procRoot)]);
  return all.filter((s) => inodes.has(s.inode));
}
