// Test helper: a real, tiny container made with Debian's runc, for tests that must see a process in its
// own PID, network and mount namespaces. The rootfs is an empty directory; the host's /usr, /lib, /lib64,
// /bin and /etc are bind-mounted read-only, so host binaries (sleep, node) run inside unchanged. Each
// container gets its own runc state root, so a crashed test never collides with another one.

import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';

const execFileP = promisify(execFile);
export const RUNC = '/usr/sbin/runc';

export interface RuncContainer {
  id: string;
  /** Host PID of the container's process (PID 1 inside). */
  pid: number;
  bundle: string;
  /** Kills and deletes the container and its files. Idempotent; never throws. */
  remove(): Promise<void>;
}

export interface RuncContainerOptions {
  /** The command inside the container. Default: sleep for an hour. */
  args?: string[];
  id?: string;
  env?: string[];
}

/** Whether runc containers can be made here (root and runc installed). */
export function canRunContainers(): boolean {
  return process.getuid?.() === 0 && existsSync(RUNC);
}

export async function startRuncContainer(options: RuncContainerOptions = {}): Promise<RuncContainer> {
  const id = options.id ?? `squash-test-${randomBytes(6).toString('hex')}`;
  const bundle = await mkdtemp(join(tmpdir(), 'squash-runc-'));
  const stateRoot = join(bundle, 'state');
  const runc = (...args: string[]) => execFileP(RUNC, ['--root', stateRoot, ...args], { timeout: 15_000 });
  let removed = false;
  const remove = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    await runc('kill', id, 'KILL').catch(() => undefined);
    await runc('delete', '--force', id).catch(() => undefined);
    await rm(bundle, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    await mkdir(join(bundle, 'rootfs'));
    await writeFile(join(bundle, 'config.json'), JSON.stringify(await makeConfig(bundle, options), null, 2));
    // --detach leaves the container holding our stdio: give it a file, or execFile would wait forever.
    const log = await open(join(bundle, 'run.log'), 'w');
    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(RUNC, ['--root', stateRoot, 'run', '--detach', '--bundle', bundle, id], {
          stdio: ['ignore', log.fd, log.fd],
        });
        child.on('error', reject);
        child.on('exit', resolve);
      });
      if (code !== 0) throw new Error(`runc run exited ${code}: ${await readFile(join(bundle, 'run.log'), 'utf8')}`);
    } finally {
      await log.close();
    }
    const { stdout } = await runc('state', id);
    const pid = (JSON.parse(stdout) as { pid: number }).pid;
    return { id, pid, bundle, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

async function makeConfig(bundle: string, options: RuncContainerOptions): Promise<Record<string, unknown>> {
  // Start from runc's own template (right for this runc version), then make it ours.
  const specDir = join(bundle, 'spec');
  await mkdir(specDir);
  await execFileP(RUNC, ['spec', '--bundle', specDir]);
  const config = JSON.parse(await readFile(join(specDir, 'config.json'), 'utf8')) as {
    process: Record<string, unknown>;
    root: Record<string, unknown>;
    mounts: Record<string, unknown>[];
    linux: Record<string, unknown>;
    hostname?: string;
  };
  config.process.terminal = false;
  config.process.args = options.args ?? ['/bin/sleep', '3600'];
  config.process.env = ['PATH=/usr/local/bin:/usr/bin:/bin', ...(options.env ?? [])];
  config.root = { path: join(bundle, 'rootfs'), readonly: true };
  for (const dir of ['/usr', '/lib', '/lib64', '/bin', '/etc']) {
    if (existsSync(dir)) config.mounts.push({ destination: dir, type: 'bind', source: dir, options: ['rbind', 'ro'] });
  }
  config.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
  config.linux.namespaces = ['pid', 'network', 'mount', 'ipc', 'uts'].map((type) => ({ type }));
  config.hostname = 'squash-test';
  return config;
}
