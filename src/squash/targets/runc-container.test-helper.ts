// Test helper: a real, tiny container made with Debian's runc, for tests that must see a process in its
// own PID, network and mount namespaces. The rootfs is an empty directory; the host's /usr, /lib, /lib64,
// /bin and /etc are bind-mounted read-only, so host binaries (sleep, node) run inside unchanged. Each
// container gets its own runc state root, so a crashed test never collides with another one.

import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, open, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { findProcessesByNamespace } from './container-processes.js';
import { parseNamespaceLink } from './proc-reader.js';

const execFileP = promisify(execFile);
export const RUNC = '/usr/sbin/runc';

export interface RuncContainer {
  id: string;
  /** Host PID of the container's process (PID 1 inside). */
  pid: number;
  bundle: string;
  /** Kills and deletes the container and its files. Idempotent; never throws. */
  remove(): Promise<void>;
  /** The container's stdout and stderr so far (with `pipeOutput`; else what runc logged). */
  output(): string;
  /** Resolves with the first match of `re` in the container's output (needs `pipeOutput`). */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

/** An extra mount inside the container: a read-only bind of a host path, or an empty tmpfs. */
export type ExtraMount = { destination: string; source: string; readonly?: boolean } | { destination: string; tmpfs: true };

export interface RuncContainerOptions {
  /** The command inside the container. Default: sleep for an hour. */
  args?: string[];
  id?: string;
  env?: string[];
  /** Working directory inside the container (default /). */
  cwd?: string;
  /** Mounted after the defaults, in order (a tmpfs can hide part of a bind-mounted host directory). */
  mounts?: ExtraMount[];
  /** Give the container a pipe for stdout/stderr (read with output()/waitForOutput) instead of a log file. */
  pipeOutput?: boolean;
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
  let piped = '';
  const watchers = new Set<() => void>();
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
    // --detach leaves the container holding our stdio: give it a file (or a pipe we only read from), or
    // a caller waiting for the stdio to close would wait forever.
    const log = await open(join(bundle, 'run.log'), 'w');
    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(RUNC, ['--root', stateRoot, 'run', '--detach', '--bundle', bundle, id], {
          stdio: ['ignore', options.pipeOutput ? 'pipe' : log.fd, options.pipeOutput ? 'pipe' : log.fd],
        });
        for (const stream of [child.stdout, child.stderr]) {
          stream?.on('data', (c: Buffer) => {
            piped += c.toString();
            for (const l of watchers) l();
          });
        }
        child.on('error', reject);
        child.on('exit', resolve);
      });
      if (code !== 0) throw new Error(`runc run exited ${code}: ${piped}${await readFile(join(bundle, 'run.log'), 'utf8')}`);
    } finally {
      await log.close();
    }
    const { stdout } = await runc('state', id);
    const pid = (JSON.parse(stdout) as { pid: number }).pid;
    const output = (): string => piped;
    const waitForOutput = (re: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(piped);
          if (!m) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(m);
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`container ${id} printed nothing matching ${re} within ${timeoutMs} ms; output: ${piped.slice(-500)}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    return { id, pid, bundle, remove, output, waitForOutput };
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
  if (options.cwd) config.process.cwd = options.cwd;
  config.root = { path: join(bundle, 'rootfs'), readonly: true };
  for (const dir of ['/usr', '/lib', '/lib64', '/bin', '/etc']) {
    if (existsSync(dir)) config.mounts.push({ destination: dir, type: 'bind', source: dir, options: ['rbind', 'ro'] });
  }
  config.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
  for (const m of options.mounts ?? []) {
    config.mounts.push(
      'tmpfs' in m
        ? { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755'] }
        : { destination: m.destination, type: 'bind', source: m.source, options: ['rbind', m.readonly === false ? 'rw' : 'ro'] },
    );
  }
  config.linux.namespaces = ['pid', 'network', 'mount', 'ipc', 'uts'].map((type) => ({ type }));
  config.hostname = 'squash-test';
  return config;
}

const SAMPLE_LISTENING = /listening on 127\.0\.0\.1:(\d+)/;

/** A sample service (see examples/) in a container; resolves once it printed its port, inside the container's netns. */
export async function startSampleContainer(options: RuncContainerOptions): Promise<{ container: RuncContainer; port: number }> {
  const container = await startRuncContainer({ pipeOutput: true, ...options });
  try {
    return { container, port: Number((await container.waitForOutput(SAMPLE_LISTENING))[1]) };
  } catch (err) {
    await container.remove();
    throw err;
  }
}

/** The PIDs of every process in the network namespace of `pid` (to see that no helper of ours stayed there). */
export async function processesInNetnsOf(pid: number): Promise<number[]> {
  const inode = parseNamespaceLink(await readlink(`/proc/${pid}/ns/net`))!;
  return (await findProcessesByNamespace('net', inode)).map((p) => p.pid);
}
