// Making debugpy importable inside a target's mount namespace. `debugpy --pid` injects code that imports
// debugpy (and dlopens its attach.so) from the injector's own path; in a container that path may not exist
// or hold another version. When it does not hold the same files, the package (its vendored pydevd
// dereferenced, and the packages it imports from outside the standard library) is copied into the target's filesystem at a path P, and the host side gets P too (a dir
// whose `debugpy` links to the host package): debugpy's own injector, run from P, then names paths that
// are valid on both sides. The copy stays while any process of the target's mount namespace maps a file
// from it (debugpy cannot be unloaded from a Python process); it dies with the container at the latest.
import { createHash, randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { LoopError, messageOf } from '../../core/errors.js';

export interface HostDebugpy {
  /** The package directory (…/dist-packages/debugpy). */
  dir: string;
  version: string;
  /**
   * Top-level packages (dirs) and modules (files) outside the standard library that importing debugpy
   * loads: Debian unvendors pydevd's `bytecode`, for one. Copied beside debugpy.
   */
  dependencies: string[];
}

/**
 * Python that prints the HostDebugpy of the interpreter running it (as JSON, last line of stdout): what is
 * newly imported by debugpy's server, adapter and pydevd, outside the standard library and debugpy itself.
 */
export const LOCATE_DEBUGPY_PY = `
import json, os, sys, sysconfig
before = set(sys.modules)
import debugpy, debugpy.server, debugpy.adapter, pydevd
root = os.path.dirname(os.path.abspath(debugpy.__file__))
std = [os.path.realpath(sysconfig.get_paths()[k]) for k in ('stdlib', 'platstdlib')]
deps = set()
for name in set(sys.modules) - before:
    f = getattr(sys.modules[name], '__file__', None)
    if not f or os.path.abspath(f).startswith(root + os.sep) or any(os.path.realpath(f).startswith(s + os.sep) for s in std):
        continue
    top = os.path.abspath(getattr(sys.modules.get(name.split('.')[0]), '__file__', None) or f)
    deps.add(os.path.dirname(top) if os.path.basename(top).startswith('__init__.') else top)
print(json.dumps({'dir': root, 'version': debugpy.__version__, 'dependencies': sorted(deps)}))
`;

export interface DebugpyPlacement {
  /** The directory that holds `debugpy/`, the same absolute path on the host and inside the target. */
  path: string;
  /** Drops the host side (once the injector is done with it). Idempotent. */
  releaseHostSide(): Promise<void>;
  /** Removes the copy in the target unless a process there still maps a file from it; true when removed. */
  removeIfUnused(): Promise<boolean>;
}

/** Where a copy may go inside the target, in order of preference (writable in most images). */
const CANDIDATE_BASES = ['/tmp', '/var/tmp', '/dev/shm'];

async function mountNamespace(pid: number | 'self', procRoot: string): Promise<string | undefined> {
  return readlink(join(procRoot, String(pid), 'ns', 'mnt')).catch(() => undefined);
}

/**
 * A digest of a package tree: relative paths, kinds and contents, `__pycache__` skipped. Symlinks are
 * followed inside `root` (an absolute link target is taken relative to `root`, i.e. the target's `/`).
 */
export async function packageDigest(dir: string, root = '/'): Promise<string | undefined> {
  const hash = createHash('sha256');
  const walk = async (real: string, rel: string, depth: number): Promise<boolean> => {
    if (depth > 40) return false;
    const st = await lstat(real).catch(() => undefined);
    if (!st) return false;
    if (st.isSymbolicLink()) {
      const target = await readlink(real);
      return walk(isAbsolute(target) ? join(root, target) : join(dirname(real), target), rel, depth + 1);
    }
    if (st.isDirectory()) {
      hash.update(`d ${rel}\n`);
      for (const name of (await readdir(real)).sort()) {
        if (name === '__pycache__') continue;
        if (!(await walk(join(real, name), rel ? `${rel}/${name}` : name, depth))) return false;
      }
      return true;
    }
    hash.update(`f ${rel} ${st.size}\n`);
    hash.update(await readFile(real));
    return true;
  };
  return (await walk(dir, '', 0)) ? hash.digest('hex') : undefined;
}

/**
 * Makes `host` debugpy importable by process `pid`. Resolves undefined when nothing is needed (the target
 * shares our mount namespace, or already sees the same files at the same path).
 */
export async function placeDebugpy(pid: number, host: HostDebugpy, procRoot = '/proc'): Promise<DebugpyPlacement | undefined> {
  const [ours, theirs] = await Promise.all([mountNamespace('self', '/proc'), mountNamespace(pid, procRoot)]);
  if (ours === undefined || theirs === undefined || ours === theirs) return undefined;
  const targetRoot = join(procRoot, String(pid), 'root');
  if (await visibleAlike([host.dir, ...host.dependencies], targetRoot)) return undefined;

  const name = `.squash-debugpy-${host.version.replace(/[^\w.-]/g, '_')}-${randomBytes(4).toString('hex')}`;
  let path: string | undefined;
  const failures: string[] = [];
  for (const base of CANDIDATE_BASES) {
    const candidate = join(base, name);
    try {
      await mkdir(join(targetRoot, candidate), { mode: 0o755 });
      path = candidate;
      break;
    } catch (err) {
      failures.push(`${base}: ${messageOf(err)}`);
    }
  }
  if (!path) {
    throw new LoopError('DEBUGGER_ATTACH_FAILED', `python: debugpy is not visible inside process ${pid}'s filesystem, and no place to copy it to is writable (${failures.join('; ')})`, {
      hint: 'install debugpy in the target image (pip install debugpy), or give the container a writable /tmp',
      details: { pid },
    });
  }
  const inTarget = join(targetRoot, path);
  // The same path on the host may be the very directory we just made (a /tmp shared with the container).
  const shared = await sameFile(inTarget, path);
  try {
    // Readable by any user the target runs as; __pycache__ is skipped (written by the target if it can).
    for (const source of [host.dir, ...host.dependencies]) {
      await cp(source, join(inTarget, basename(source)), { recursive: true, dereference: true, filter: (src) => !src.endsWith('/__pycache__') });
    }
    if (!shared) {
      await mkdir(path, { recursive: true, mode: 0o755 });
      await symlink(host.dir, join(path, 'debugpy'));
    }
  } catch (err) {
    await rm(inTarget, { recursive: true, force: true });
    if (!shared) await rm(path, { recursive: true, force: true });
    throw new LoopError('DEBUGGER_ATTACH_FAILED', `python: copying debugpy into process ${pid}'s filesystem failed: ${messageOf(err)}`, { cause: err, details: { pid, path } });
  }
  const placed = path;
  let hostReleased: Promise<void> | undefined;
  return {
    path: placed,
    releaseHostSide: () => (hostReleased ??= shared ? Promise.resolve() : rm(placed, { recursive: true, force: true })),
    async removeIfUnused() {
      const peers = await processesInMountNamespace(theirs, procRoot);
      for (const peer of peers) {
        const maps = await readFile(join(procRoot, String(peer), 'maps'), 'utf8').catch(() => '');
        if (maps.includes(`${placed}/`)) return false;
      }
      // Reach the target's filesystem through any process still in that mount namespace.
      const via = peers[0];
      if (via === undefined) return false; // the namespace is gone, and the copy with it
      await rm(join(procRoot, String(via), 'root', placed), { recursive: true, force: true });
      return true;
    },
  };
}

/** True when every path has the same content inside the target as on the host. */
async function visibleAlike(paths: string[], targetRoot: string): Promise<boolean> {
  for (const path of paths) {
    const ours = await packageDigest(path);
    if (ours === undefined || (await packageDigest(join(targetRoot, path), targetRoot)) !== ours) return false;
  }
  return true;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
  return x !== undefined && y !== undefined && x.dev === y.dev && x.ino === y.ino;
}

async function processesInMountNamespace(ns: string, procRoot: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir(procRoot).catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    if ((await mountNamespace(Number(entry), procRoot)) === ns) pids.push(Number(entry));
  }
  return pids;
}
