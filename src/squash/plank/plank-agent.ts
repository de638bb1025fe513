// The plank: attaches one debugger to one target, relays the debugger's port on loopback (the endpoint
// the IDE gets is the plank's own, so closing the relay drops the IDE) — except for an endpoint inside the
// target's network namespace (`namespace: 'target'`, netns relay off), which the plank cannot reach and
// hands out as it is — and holds the target until told to
// let go, its TTL runs out, the target exits or the debugger ends. Letting go always detaches: the target
// keeps running.
import { LoopError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Debugger, DebuggerRegistry } from '../debuggers/index.js';
import { openRelay, tcpDialer, type Relay } from '../relay/index.js';
import type { AttachSession, DebugEndpoint, DebuggerName } from '../squash-types.js';
import { DEFAULT_PROC_ROOT, alreadyTraced, displayCommand, isKernelThreadPid, kernelThread, readTracer } from '../targets/index.js';
import type { PlankReadyEvent } from './plank-events.js';
import type { AttachOptionValues } from './plank-options.js';
import { resolveTarget, type ResolvedTarget } from './plank-target.js';
import { isSameProcessRunning, readProcessState } from './process-identity.js';
import { checkTargetNamespace } from './target-namespace.js';

export interface PlankDeps {
  registry: DebuggerRegistry;
  logger: Logger;
  procRoot?: string;
  clock?: () => Date;
  /** How often the target is checked for having exited. Default 500 ms. */
  pollMs?: number;
  /** The PID reported in the ready event. Default: process.pid. */
  selfPid?: number;
}

export type PlankEndReason = 'stopped' | 'ttl' | 'target-exited' | 'debugger-ended';

export interface PlankEnd {
  reason: PlankEndReason;
  /** One readable sentence for the log. */
  detail: string;
  /** 0, except when the debugger died under a running target (1). */
  exitCode: number;
}

export interface RunningPlank {
  ready: PlankReadyEvent;
  target: ResolvedTarget;
  /** Settles once the plank has let go: relay closed, debugger detached. */
  ended: Promise<PlankEnd>;
  /** Lets go of the target now (SIGTERM, SIGINT); settles like `ended`. */
  stop(detail: string): Promise<PlankEnd>;
}

/** Which Kubernetes namespaces the plank may debug in (plank's --allow-namespaces, --target-namespace). */
export interface PlankNamespaceOptions {
  /** Undefined: no restriction. */
  allowNamespaces?: readonly string[] | undefined;
  targetNamespace?: string;
}

/**
 * Resolves the target, checks its namespace is allowed (before any debugger touches it), attaches and relays. Resolves once the endpoint is ready; rejects with a LoopError
 * (nothing left attached) when it cannot be. `signal` aborts an attach in progress.
 *
 * @example const plank = await startPlank({ ...options, pid: 4242 }, { registry, logger });
 * process.stdout.write(formatPlankEvent(plank.ready)); await plank.ended;
 */
export async function startPlank(options: AttachOptionValues & PlankNamespaceOptions, deps: PlankDeps, signal?: AbortSignal): Promise<RunningPlank> {
  const { logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const target = await resolveTarget({ pid: options.pid, container: options.container }, deps.procRoot ? { procRoot: deps.procRoot } : {});
  const pid = target.process.pid;
  const namespace = await checkTargetNamespace(pid, { allow: options.allowNamespaces, claimed: options.targetNamespace ?? '' }, deps.procRoot);
  const identity = await readProcessState(pid, deps.procRoot);
  if (!identity) throw new LoopError('TARGET_EXITED', `process ${pid} exited before the debugger attached`, { details: { pid } });
  // A zombie keeps its PID but has no executable or memory left: runtime detection would find nothing.
  if (identity.state === 'Z' || identity.state === 'X') {
    throw new LoopError('TARGET_EXITED', `process ${pid} has exited (a zombie its parent has not reaped yet)`, { details: { pid } });
  }
  const procRoot = deps.procRoot ?? DEFAULT_PROC_ROOT;
  if (isKernelThreadPid(pid, procRoot)) throw kernelThread(pid, procRoot);
  const debuggerToUse = chooseDebugger(target, options.debugger, deps.registry);
  const availability = await debuggerToUse.available();
  if (!availability.ok) {
    throw new LoopError('DEBUGGER_NOT_INSTALLED', `${debuggerToUse.name}: ${availability.reason}`, {
      hint: `install the Debian package ${availability.package} (apt-get install ${availability.package})`,
      details: { debugger: debuggerToUse.name, package: availability.package },
    });
  }
  // A process has one tracer: a ptrace debugger would only get EPERM, which reads like missing privileges.
  const tracer = PTRACE_DEBUGGERS.has(debuggerToUse.name) ? readTracer(pid, procRoot) : undefined;
  if (tracer) throw alreadyTraced(debuggerToUse.name, pid, tracer);
  logger.info('attaching', {
    pid,
    command: displayCommand(target.process),
    runtime: target.runtime?.runtime,
    evidence: target.runtime?.evidence,
    containerId: target.containerId,
    namespace,
    debugger: debuggerToUse.name,
  });
  const session = await debuggerToUse.attach(pid, { timeoutMs: options.timeout, logger, ...(signal ? { signal } : {}) });
  let relay: Relay | undefined;
  try {
    if (signal?.aborted) throw new LoopError('DEBUGGER_ATTACH_FAILED', `${debuggerToUse.name}: attach aborted`, { cause: signal.reason });
    const upstream = session.endpoint;
    if (upstream.namespace !== 'target') {
      relay = await openRelay({
        dial: tcpDialer(upstream.host, upstream.port),
        port: options.port,
        onDialError: (err) => logger.warn('cannot reach the debugger for a new IDE connection', { err: err as Error, debuggerPort: upstream.port }),
      });
    }
  } catch (err) {
    await session.detach();
    throw err;
  }
  const endpoint = relay ? relayedEndpoint(session.endpoint, relay) : session.endpoint;
  const now = clock();
  const ready: PlankReadyEvent = {
    event: 'ready',
    endpoint,
    plank: { pid: deps.selfPid ?? process.pid, expiresAt: new Date(now.getTime() + options.ttl).toISOString(), ttlMs: options.ttl },
  };
  logger.info('ready', { endpoint: `${endpoint.host}:${endpoint.port}`, debuggerPort: session.endpoint.port, expiresAt: ready.plank.expiresAt });
  const ended = holdUntilDone({ session, relay, pid, startTime: identity.startTime, ttlMs: options.ttl, pollMs: deps.pollMs ?? 500, logger, procRoot: deps.procRoot });
  return { ready, target, ended: ended.done, stop: ended.stop };
}

/** The debuggers that ptrace the target (debugpy injects itself through gdb). */
const PTRACE_DEBUGGERS: ReadonlySet<DebuggerName> = new Set<DebuggerName>(['dlv', 'gdb', 'python']);

/**
 * The debugger for the target: the one asked for, or the runtime's default. An explicit debugger must
 * serve the detected runtime, except gdb, which debugs the native code of any process.
 */
export function chooseDebugger(target: ResolvedTarget, requested: DebuggerName | undefined, registry: DebuggerRegistry): Debugger {
  const { pid } = target.process;
  const runtime = target.runtime;
  if (requested === undefined) {
    if (!runtime) {
      throw new LoopError('RUNTIME_UNSUPPORTED', `cannot tell which runtime process ${pid} (${displayCommand(target.process, 60)}) runs`, {
        hint: 'name the debugger with --debugger dlv|gdb|nodejs|python|java',
        details: { pid },
      });
    }
    return registry.debuggerFor(runtime.runtime);
  }
  const chosen = registry.byName(requested);
  if (runtime && requested !== 'gdb' && !chosen.runtimes.includes(runtime.runtime)) {
    const fitting = registry.debuggerFor(runtime.runtime).name;
    throw new LoopError('RUNTIME_UNSUPPORTED', `process ${pid} runs ${runtime.runtime} (${runtime.evidence}); the ${requested} debugger attaches to ${chosen.runtimes.join(', ')} processes`, {
      hint: `use --debugger ${fitting}, or leave --debugger out to use the detected default`,
      details: { pid, runtime: runtime.runtime, debugger: requested },
    });
  }
  return chosen;
}

/** The debugger's endpoint as the IDE reaches it: through the relay (for CDP, the websocket URL too). */
export function relayedEndpoint(endpoint: DebugEndpoint, relay: { host: string; port: number }): DebugEndpoint {
  const out: DebugEndpoint = { ...endpoint, host: relay.host, port: relay.port };
  if (endpoint.websocketUrl) {
    const url = new URL(endpoint.websocketUrl);
    url.host = `${relay.host}:${relay.port}`;
    out.websocketUrl = url.toString();
  }
  return out;
}

interface HoldOptions {
  session: AttachSession;
  relay: Relay | undefined;
  pid: number;
  startTime: number;
  ttlMs: number;
  pollMs: number;
  logger: Logger;
  procRoot: string | undefined;
}

function holdUntilDone(o: HoldOptions): { done: Promise<PlankEnd>; stop(detail: string): Promise<PlankEnd> } {
  let decide!: (end: PlankEnd) => void;
  const decided = new Promise<PlankEnd>((resolve) => (decide = resolve));
  const targetGone = (): PlankEnd => ({ reason: 'target-exited', detail: `process ${o.pid} exited`, exitCode: 0 });

  const ttl = setTimeout(() => decide({ reason: 'ttl', detail: `the TTL of ${o.ttlMs} ms ran out`, exitCode: 0 }), o.ttlMs);
  const poll = setInterval(() => {
    void isSameProcessRunning(o.pid, o.startTime, o.procRoot).then((running) => {
      if (!running) decide(targetGone());
    });
  }, o.pollMs);
  void o.session.ended.then(async () => {
    // `ended` covers both the debugger dying and the target exiting; only the first is a failure.
    if (!(await isSameProcessRunning(o.pid, o.startTime, o.procRoot))) return decide(targetGone());
    decide({ reason: 'debugger-ended', detail: `the ${o.session.endpoint.debugger} debugger ended while process ${o.pid} still runs`, exitCode: 1 });
  });

  const done = decided.then(async (end) => {
    clearTimeout(ttl);
    clearInterval(poll);
    (end.exitCode === 0 ? o.logger.info : o.logger.error)('letting go of the target', { reason: end.reason, detail: end.detail, pid: o.pid });
    await o.relay?.close();
    await o.session.detach();
    o.logger.info('detached', { pid: o.pid });
    return end;
  });
  return {
    done,
    stop(detail) {
      decide({ reason: 'stopped', detail, exitCode: 0 });
      return done;
    },
  };
}
