// Finds a container's processes on the host from its ID, through procfs alone: the cgroup path names the
// container (see container-id.ts), and namespace inodes group processes that share a container when the
// cgroup path does not say (a runtime we do not know, `unshare`, a cgroup namespace hiding the path).

import { LoopError } from '../../core/errors.js';
import type { ProcessInfo } from '../squash-types.js';
import { displayCommand } from './local-targets.js';
import { DEFAULT_PROC_ROOT, listProcesses, readProcess, type NamespaceKind } from './proc-reader.js';

/**
 * Shortest prefix accepted for a container ID. `docker` prints 12 characters and accepts any unique
 * prefix; 4 is short enough to type and long enough to rarely collide on one machine.
 */
export const MIN_CONTAINER_ID_PREFIX = 4;

export interface ContainerProcesses {
  /** The full container ID the query resolved to. */
  containerId: string;
  /** Its processes, ascending by host PID (never empty). */
  processes: ProcessInfo[];
}

/**
 * The processes of one container, by full ID or a unique prefix of at least 4 characters (any case).
 * Throws TARGET_NOT_FOUND (naming the running containers) when no process is in such a container,
 * TARGET_AMBIGUOUS (listing the candidates) when a prefix names several.
 *
 * @example const { processes } = await findContainerProcesses('4f1c2d3e');
 */
export async function findContainerProcesses(
  containerIdOrPrefix: string,
  procRoot: string = DEFAULT_PROC_ROOT,
): Promise<ContainerProcesses> {
  const query = containerIdOrPrefix.trim().toLowerCase();
  if (query === '') throw new LoopError('BAD_REQUEST', 'container ID must not be empty');
  const byContainer = new Map<string, ProcessInfo[]>();
  for (const p of await listProcesses(procRoot)) {
    if (p.containerId !== undefined) byContainer.set(p.containerId, [...(byContainer.get(p.containerId) ?? []), p]);
  }
  const running = [...byContainer.keys()].sort();
  let ids = running.filter((c) => c === query);
  if (ids.length === 0 && query.length >= MIN_CONTAINER_ID_PREFIX) ids = running.filter((c) => c.startsWith(query));
  if (ids.length === 0) {
    const short = query.length < MIN_CONTAINER_ID_PREFIX && running.some((c) => c.startsWith(query));
    throw new LoopError('TARGET_NOT_FOUND', `no running container with ID ${query}${listing('running containers', running, byContainer)}`, {
      hint: short
        ? `give at least ${MIN_CONTAINER_ID_PREFIX} characters of the container ID`
        : 'check the ID with your runtime (`docker ps`, `crictl ps`, `runc list`); the container must run on this machine',
      details: { containerId: query, running },
    });
  }
  if (ids.length > 1) {
    throw new LoopError('TARGET_AMBIGUOUS', `container ID ${query} matches ${ids.length} containers${listing('', ids, byContainer)}`, {
      hint: 'give more characters of the container ID',
      details: { containerId: query, matches: ids },
    });
  }
  return { containerId: ids[0]!, processes: byContainer.get(ids[0]!)!.sort((a, b) => a.pid - b.pid) };
}

/** The 12 characters `docker ps` shows. */
export function shortContainerId(containerId: string): string {
  return containerId.slice(0, 12);
}

/** `: a1b2c3d40000 (node server.js), …` — each container by its short ID and its main command. */
function listing(label: string, ids: string[], byContainer: Map<string, ProcessInfo[]>): string {
  if (ids.length === 0) return '; no containers run on this machine';
  const shown = ids.slice(0, 10).map((c) => {
    const processes = byContainer.get(c)!;
    const main = processes.find((p) => p.pid === containerInitPid(processes))!;
    return `${shortContainerId(c)} (${displayCommand(main, 40)})`;
  });
  return `${label ? `; ${label}` : ''}: ${shown.join(', ')}${ids.length > 10 ? `, and ${ids.length - 10} more` : ''}`;
}

/**
 * The container's top process: the one whose parent is outside the container (the runtime's shim or
 * runc's parent). When several qualify (`docker exec` adds such processes), the one that is PID 1 inside
 * the container wins, then the lowest host PID.
 */
export function containerInitPid(processes: readonly ProcessInfo[]): number {
  if (processes.length === 0) throw new LoopError('TARGET_NOT_FOUND', 'the container has no processes');
  const inside = new Set(processes.map((p) => p.pid));
  const tops = processes.filter((p) => !inside.has(p.ppid));
  const candidates = tops.length > 0 ? tops : [...processes];
  const init = candidates.find((p) => p.nsPid === 1);
  return init?.pid ?? Math.min(...candidates.map((p) => p.pid));
}

/** Every process whose `kind` namespace is the one with this inode, ascending by PID. */
export async function findProcessesByNamespace(
  kind: NamespaceKind,
  inode: number,
  procRoot: string = DEFAULT_PROC_ROOT,
): Promise<ProcessInfo[]> {
  return (await listProcesses(procRoot)).filter((p) => p.namespaces[kind] === inode);
}

export interface SharingOptions {
  procRoot?: string;
  /** Namespaces that must all be shared with the given process. Default: the PID namespace. */
  kinds?: NamespaceKind[];
}

/**
 * The processes that share the given process's namespaces (the process itself included): its container,
 * when cgroup paths do not name one. Throws TARGET_NOT_FOUND for a missing PID and PERMISSION_DENIED when
 * its namespaces cannot be read (they need the rights to ptrace it).
 */
export async function processesSharingNamespaces(pid: number, options: SharingOptions = {}): Promise<ProcessInfo[]> {
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const kinds = options.kinds ?? ['pid'];
  const self = await readProcess(pid, procRoot);
  const missing = kinds.filter((k) => self.namespaces[k] === undefined);
  if (missing.length > 0) {
    throw new LoopError('PERMISSION_DENIED', `cannot read the ${missing.join(', ')} namespace of process ${pid}`, {
      hint: 'Run as root, or as the user that owns the process.',
      details: { pid },
    });
  }
  return (await listProcesses(procRoot)).filter((p) => kinds.every((k) => p.namespaces[k] === self.namespaces[k]));
}
