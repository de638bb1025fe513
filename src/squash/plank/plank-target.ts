// Which process a plank attaches to: a PID as given, or a container's main process found from its ID
// through /proc alone (cgroup paths name the container; see targets/container-id.ts).
import { LoopError } from '../../core/errors.js';
import type { ProcessInfo } from '../squash-types.js';
import {
  DEFAULT_PROC_ROOT,
  detectRuntime,
  displayCommand,
  listProcesses,
  readProcess,
  type DetectedRuntime,
  type ReadAt,
} from '../targets/index.js';

/** Shortest container ID prefix accepted: short enough to type, long enough to rarely collide. */
export const MIN_CONTAINER_PREFIX = 4;

export interface ResolvedTarget {
  process: ProcessInfo;
  /** Undefined when neither the executable's name nor its contents tell. */
  runtime?: DetectedRuntime;
  /** Set when the target was named by container ID (the full ID). */
  containerId?: string;
}

export interface TargetSpec {
  pid?: number;
  container?: string;
}

export interface ResolveOptions {
  procRoot?: string;
  readAt?: ReadAt;
}

/** The process to attach to, with its detected runtime. Throws TARGET_NOT_FOUND / TARGET_AMBIGUOUS. */
export async function resolveTarget(spec: TargetSpec, options: ResolveOptions = {}): Promise<ResolvedTarget> {
  if (spec.container) return resolveContainerTarget(spec.container, options);
  if (!spec.pid) throw new LoopError('CONFIG_INVALID', 'say what to debug: --pid PID or --container ID');
  const process = await readProcess(spec.pid, options.procRoot).catch((err: unknown) => {
    if (err instanceof LoopError && err.code === 'TARGET_NOT_FOUND') {
      throw new LoopError('TARGET_NOT_FOUND', `no process with PID ${spec.pid}`, {
        cause: err,
        hint: 'list candidates with `squashctl targets`',
        details: { pid: spec.pid },
      });
    }
    throw err;
  });
  const runtime = await detect(process, options);
  return { process, ...(runtime ? { runtime } : {}) };
}

/**
 * A container's main process: the one that is PID 1 in the container's PID namespace (the lowest host
 * PID among those, should several be), else the only process with a detected runtime. A container ID
 * that matches no container, or several, or a container without a clear main process is an error that
 * lists the candidates.
 */
export async function resolveContainerTarget(query: string, options: ResolveOptions = {}): Promise<ResolvedTarget> {
  const id = query.trim().toLowerCase();
  const inContainers = (await listProcesses(options.procRoot ?? DEFAULT_PROC_ROOT)).filter((p) => p.containerId !== undefined);
  const byContainer = new Map<string, ProcessInfo[]>();
  for (const p of inContainers) byContainer.set(p.containerId!, [...(byContainer.get(p.containerId!) ?? []), p]);

  const running = [...byContainer.keys()].sort();
  let matches = running.filter((c) => c === id);
  if (matches.length === 0 && id.length >= MIN_CONTAINER_PREFIX) matches = running.filter((c) => c.startsWith(id));
  if (matches.length === 0) {
    const tooShort = id.length < MIN_CONTAINER_PREFIX && running.some((c) => c.startsWith(id));
    throw new LoopError('TARGET_NOT_FOUND', `no running container with ID ${id === '' ? '""' : id}${listing('running containers', running, byContainer)}`, {
      hint: tooShort
        ? `give at least ${MIN_CONTAINER_PREFIX} characters of the container ID`
        : 'check the ID with your runtime (`docker ps`, `crictl ps`, `runc list`); the container must run on this machine',
      details: { containerId: id, running },
    });
  }
  if (matches.length > 1) {
    throw new LoopError('TARGET_AMBIGUOUS', `container ID ${id} matches ${matches.length} containers${listing('', matches, byContainer)}`, {
      hint: 'give more characters of the container ID',
      details: { containerId: id, matches },
    });
  }
  const containerId = matches[0]!;
  const processes = byContainer.get(containerId)!.sort((a, b) => a.pid - b.pid);
  const init = processes.find((p) => p.nsPid === 1);
  if (init) {
    const runtime = await detect(init, options);
    return { process: init, containerId, ...(runtime ? { runtime } : {}) };
  }
  const detected = await Promise.all(processes.map(async (p) => ({ process: p, runtime: await detect(p, options) })));
  const withRuntime = detected.filter((d) => d.runtime !== undefined);
  if (withRuntime.length === 1) return { ...withRuntime[0]!, runtime: withRuntime[0]!.runtime!, containerId };
  const candidates = detected.map((d) => `${d.process.pid} (${d.runtime?.runtime ?? '?'}) ${displayCommand(d.process, 60)}`);
  throw new LoopError('TARGET_AMBIGUOUS', `container ${short(containerId)} has no single main process; its processes: ${candidates.join('; ')}`, {
    hint: 'pick one with --pid PID',
    details: { containerId, pids: processes.map((p) => p.pid) },
  });
}

/** The 12 characters `docker ps` shows. */
export function short(containerId: string): string {
  return containerId.slice(0, 12);
}

function listing(label: string, ids: string[], byContainer: Map<string, ProcessInfo[]>): string {
  if (ids.length === 0) return '; no containers run on this machine';
  const shown = ids.slice(0, 10).map((c) => {
    const main = byContainer.get(c)!.reduce((a, b) => (b.nsPid === 1 || (a.nsPid !== 1 && b.pid < a.pid) ? b : a));
    return `${short(c)} (${displayCommand(main, 40)})`;
  });
  return `${label ? `; ${label}` : ''}: ${shown.join(', ')}${ids.length > 10 ? `, and ${ids.length - 10} more` : ''}`;
}

async function detect(p: ProcessInfo, options: ResolveOptions): Promise<DetectedRuntime | undefined> {
  return detectRuntime(p, { ...(options.procRoot ? { procRoot: options.procRoot } : {}), ...(options.readAt ? { readAt: options.readAt } : {}) }).catch(() => undefined);
}
