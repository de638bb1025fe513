// Test helper: a fake procfs directory describing processes that cannot be made for real in a test
// (other runtimes' containers, kernel threads, processes that vanish mid-scan).

import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeProcess {
  pid: number;
  ppid?: number;
  uid?: number;
  comm?: string;
  cmdline?: string[];
  exe?: string;
  cgroup?: string;
  ns?: { pid?: number; net?: number; mnt?: number };
  nsPids?: number[];
  /** Only the directory exists, as for a process that exited between readdir and read. */
  vanished?: boolean;
}

export async function makeProcRoot(processes: FakeProcess[]): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'squash-proc-'));
  await writeFile(join(root, 'uptime'), '1.00 1.00\n');
  for (const p of processes) {
    const dir = join(root, String(p.pid));
    await mkdir(join(dir, 'ns'), { recursive: true });
    if (p.vanished) continue;
    const comm = p.comm ?? 'proc';
    const nsPids = p.nsPids ?? [p.pid];
    const uid = p.uid ?? 0;
    await writeFile(
      join(dir, 'status'),
      `Name:\t${comm}\nState:\tS (sleeping)\nPid:\t${p.pid}\nPPid:\t${p.ppid ?? 1}\n` +
        `Uid:\t${uid}\t${uid}\t${uid}\t${uid}\nNSpid:\t${nsPids.join('\t')}\n`,
    );
    await writeFile(join(dir, 'comm'), `${comm}\n`);
    await writeFile(join(dir, 'cmdline'), (p.cmdline ?? []).map((a) => `${a}\0`).join(''));
    await writeFile(join(dir, 'cgroup'), p.cgroup ?? '0::/\n');
    if (p.exe !== undefined) await symlink(p.exe, join(dir, 'exe'));
    for (const [kind, inode] of Object.entries(p.ns ?? {})) {
      await symlink(`${kind}:[${inode}]`, join(dir, 'ns', kind));
    }
  }
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}
