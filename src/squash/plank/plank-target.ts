// Which process a plank attaches to: a PID as given, or a container's main process found from its ID
// through /proc alone (cgroup paths name the container; see targets/container-id.ts).
import { LoopError } from '../../core/errors.js';
import type { ProcessInfo } from '../squash-types.js';
import {
  DEFAULT_PROC_ROOT,
  detectRuntime,
  displayCommand,
  findContainerProcesses,
  readProcess,
  shortContainerId,
  type DetectedRuntime,
  type ReadAt,
} from '../targets/index.js';

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
  const { containerId, processes } = await findContainerProcesses(query, options.procRoot ?? DEFAULT_PROC_ROOT);
  const init = processes.find((p) => p.nsPid === 1);
  if (init) {
    const runtime = await detect(init, options);
    return { process: init, containerId, ...(runtime ? { runtime } : {}) };
  }
  const detected = await Promise.all(processes.map(async (p) => ({ process: p, runtime: await detect(p, options) })));
  const withRuntime = detected.filter((d) => d.runtime !== undefined);
  if (withRuntime.length === 1) return { ...withRuntime[0]!, runtime: withRuntime[0]!.runtime!, containerId };
  const candidates = detected.map((d) => `${d.process.pid} (${d.runtime?.runtime ?? '?'}) ${displayCommand(d.process, 60)}`);
  throw new LoopError('TARGET_AMBIGUOUS', `container ${shortContainerId(containerId)} has no single main process; its processes: ${candidates.join('; ')}`, {
    hint: 'pick one with --pid PID',
    details: { containerId, pids: processes.map((p) => p.pid) },
  });
}

async function detect(p: ProcessInfo, options: ResolveOptions): Promise<DetectedRuntime | undefined> {
  return detectRuntime(p, { ...(options.procRoot ? { procRoot: options.procRoot } : {}), ...(options.readAt ? { readAt: options.readAt } : {}) }).catch(() => undefined);
}
