// The one adapter between the extension and the platforms: every listing, attach and cleanup is a squashctl
// run. A local attach leaves a detached plank behind and squashctl exits; a Kubernetes attach keeps squashctl
// running (it holds the port-forward), so whichever process is still there is what `release` ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseJsonArray, parseMachineOutput, parseSquashctlError, SquashctlError, type LocalTarget, type MachineOutput, type PlankListing } from './squashctl-output.js';

export interface SquashctlSettings {
  /** `squashctl` on PATH, or an absolute path to it (activate.ts resolves what the settings say). */
  path: string;
  /** Passed as `--kubeconfig` on the Kubernetes platform (an absolute path); '' leaves squashctl's default. */
  kubeconfig: string;
  /** Passed as `--context` on the Kubernetes platform, to the listings and the attach alike; '' or absent: the current context. */
  context?: string;
  /** Added to every attach. */
  extraArgs: readonly string[];
  /** squash.gdbPath: the gdb a cppdbg session runs (not squashctl's; see local-gdb.ts). */
  gdbPath?: string;
}

export type AttachTarget = { platform: 'local'; pid: number } | { platform: 'kube'; namespace: string; pod: string; container: string };

export interface AttachRequest {
  target: AttachTarget;
  /** Omitted: squashctl detects the debugger from the process. */
  debugger?: string;
  /** gdb: the local copy of the target's binary it loads symbols from (`--program`); needed on Kubernetes. */
  program?: string;
}

/** A container of a pod, with the debugger squashctl would pick for it ("detect"), guessed from its image. */
export interface KubeContainer {
  name: string;
  debugger: string;
}

export type ReleaseOutcome = 'ended' | 'killed' | 'already-gone';

export interface Attachment {
  output: MachineOutput;
  /** Lets go of the target (it keeps running). Safe to call more than once: later calls get the first outcome. */
  release(): Promise<ReleaseOutcome>;
}

export interface SquashctlClient {
  /** The listings; `signal` ends the squashctl run (the user closed the pick it was loading). */
  localTargets(signal?: AbortSignal): Promise<LocalTarget[]>;
  kubeNamespaces(signal?: AbortSignal): Promise<string[]>;
  kubePods(namespace: string, signal?: AbortSignal): Promise<string[]>;
  kubeContainers(namespace: string, pod: string, signal?: AbortSignal): Promise<KubeContainer[]>;
  /** Resolves once squashctl printed its `--machine` document; `signal` interrupts squashctl (it lets go). */
  attach(request: AttachRequest, signal?: AbortSignal): Promise<Attachment>;
}

export interface SquashctlClientOptions {
  settings: SquashctlSettings;
  /** squashctl's environment (SQUASH_STATE_DIR, KUBECONFIG, PATH …). Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** How long a plank or a port-forwarding squashctl may take to let go before it is killed. Default 10 s. */
  graceMs?: number;
}

/** One pod of `squashctl kube pods -o json`. */
export interface KubePodListing {
  namespace: string;
  name: string;
  node: string;
  containers: Array<{ name: string; image: string; containerId?: string; debugger: string }>;
}

export function createSquashctlClient(options: SquashctlClientOptions): SquashctlClient {
  const env = options.env ?? process.env;
  const graceMs = options.graceMs ?? 10_000;
  const settings = options.settings;
  const executable = settings.path;

  const start = (args: readonly string[]): { child: ChildProcess; exited: Promise<void>; failed: Promise<never>; stderr(): string } => {
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    // 'exit', not 'close': a plank squashctl started may hold an inherited pipe open after squashctl is gone.
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const failed = new Promise<never>((_, reject) =>
      child.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'ENOENT'
            ? new SquashctlError('SQUASHCTL_NOT_FOUND', `squashctl was not found at "${executable}"`, { hint: 'install squashctl, or set squash.squashctlPath to its full path', cause: err })
            : err.code === 'EACCES'
              ? new SquashctlError('SQUASHCTL_NOT_FOUND', `"${executable}" cannot be run (permission denied): it is not an executable file`, {
                  hint: 'set squash.squashctlPath to the squashctl executable, or make it executable (chmod +x)',
                  cause: err,
                })
              : new SquashctlError('SQUASHCTL_FAILED', `cannot run ${executable}: ${err.message}`, { cause: err }),
        );
      }),
    );
    failed.catch(() => undefined);
    return { child, exited, failed, stderr: () => stderr };
  };

  const failure = (run: { child: ChildProcess; stderr(): string }): SquashctlError => {
    const how = run.child.signalCode ? `ended by ${run.child.signalCode}` : `exit ${run.child.exitCode}`;
    const { message, hint } = parseSquashctlError(run.stderr(), `squashctl failed without saying why (${how})`);
    return new SquashctlError('SQUASHCTL_FAILED', message, hint ? { hint } : {});
  };

  async function run(args: readonly string[], signal?: AbortSignal): Promise<string> {
    const r = start(args);
    let stdout = '';
    r.child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    const onAbort = (): void => void r.child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // 'close': these commands start no plank, and every byte of stdout and stderr is read by then.
      await Promise.race([new Promise((resolve) => r.child.once('close', resolve)), r.failed]);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (r.child.exitCode !== 0) throw failure(r);
    return stdout;
  }

  async function kubePods(namespace: string, signal?: AbortSignal): Promise<KubePodListing[]> {
    return parseJsonArray<KubePodListing>(await run([...kubeconfigArgs(settings), 'kube', 'pods', '--namespace', namespace, '-o', 'json'], signal), 'kube pods -o json');
  }

  async function endPlank(endpoint: MachineOutput['endpoint']): Promise<ReleaseOutcome> {
    const planks = parseJsonArray<PlankListing>(await run(['list', '-o', 'json']), 'list -o json');
    const mine = planks.find((p) => p.endpoint.host === endpoint.host && p.endpoint.port === endpoint.port && p.endpoint.pid === endpoint.pid);
    if (!mine) return 'already-gone';
    // The same steps as `squashctl cleanup`, for this one plank: SIGTERM (it detaches), SIGKILL to its group after the grace.
    signal(mine.pid, 'SIGTERM');
    let outcome: ReleaseOutcome = 'ended';
    if (!(await gone(mine.pid, graceMs))) {
      signal(-mine.pid, 'SIGKILL');
      signal(mine.pid, 'SIGKILL');
      await gone(mine.pid, 5_000);
      outcome = 'killed';
    }
    await run(['list', '-o', 'json']); // squashctl prunes the record of a plank that is gone
    return outcome;
  }

  return {
    async localTargets(signal) {
      return parseJsonArray<LocalTarget>(await run(['targets', '-o', 'json'], signal), 'targets -o json');
    },
    async kubeNamespaces(signal) {
      return parseJsonArray<{ name: string }>(await run([...kubeconfigArgs(settings), 'kube', 'namespaces', '-o', 'json'], signal), 'kube namespaces -o json').map((n) => n.name);
    },
    async kubePods(namespace, signal) {
      return (await kubePods(namespace, signal)).map((p) => p.name);
    },
    async kubeContainers(namespace, pod, signal) {
      const found = (await kubePods(namespace, signal)).find((p) => p.name === pod);
      if (!found) throw new SquashctlError('SQUASHCTL_FAILED', `pod ${namespace}/${pod} is not Running (or is gone)`);
      return found.containers.map((c) => ({ name: c.name, debugger: c.debugger }));
    },
    async attach(request, abort) {
      const r = start(attachArgs(request, settings));
      const onAbort = (): void => void r.child.kill('SIGINT');
      abort?.addEventListener('abort', onAbort, { once: true });
      try {
        const output = await Promise.race([firstLine(r.child).then(parseMachineOutput), r.failed]);
        return holdAttachment(output, request.target.platform, r.child, r.exited);
      } catch (err) {
        if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGINT');
        await r.exited;
        if (abort?.aborted) throw new SquashctlError('SQUASHCTL_FAILED', 'attach cancelled', { cause: err });
        throw err instanceof SquashctlError && err.code !== 'SQUASHCTL_FAILED' ? err : failure(r);
      } finally {
        abort?.removeEventListener('abort', onAbort);
      }
    },
  };

  function holdAttachment(output: MachineOutput, platform: AttachTarget['platform'], child: ChildProcess, exited: Promise<void>): Attachment {
    let released: Promise<ReleaseOutcome> | undefined;
    const interrupt = async (): Promise<ReleaseOutcome> => {
      if (child.exitCode !== null || child.signalCode !== null) return 'already-gone';
      child.kill('SIGINT');
      if (await settles(exited, graceMs)) return 'ended';
      child.kill('SIGKILL');
      await exited;
      return 'killed';
    };
    const release = async (): Promise<ReleaseOutcome> => {
      // Kubernetes: squashctl keeps running to hold the port-forward, and removes its plank when interrupted (as on Ctrl-C).
      if (platform === 'kube') return interrupt();
      // This machine: squashctl exits right after printing (its plank is detached); it may not be gone yet.
      if (!(await settles(exited, graceMs))) await interrupt();
      return endPlank(output.endpoint);
    };
    return { output, release: () => (released ??= release()) };
  }
}

function kubeconfigArgs(settings: SquashctlSettings): string[] {
  return [...(settings.kubeconfig ? ['--kubeconfig', settings.kubeconfig] : []), ...(settings.context ? ['--context', settings.context] : [])];
}

/** squashctl's arguments for an attach; extra args go before `--machine`, which stays last. */
export function attachArgs(request: AttachRequest, settings: SquashctlSettings): string[] {
  const { target } = request;
  const where =
    target.platform === 'local'
      ? ['--pid', String(target.pid)]
      : ['--platform', 'kube', ...kubeconfigArgs(settings), '--namespace', target.namespace, '--pod', target.pod, '--container', target.container];
  // A program picked for this attach comes after squash.extraArgs: the last --program is the one squashctl uses.
  return [...where, ...(request.debugger ? ['--debugger', request.debugger] : []), ...settings.extraArgs, ...(request.program ? ['--program', request.program] : []), '--machine'];
}

/** The first non-empty stdout line; rejects when stdout ends without one. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.trim() === '') return;
      resolve(line); // before close(), which emits 'close' at once
      lines.close();
    });
    lines.once('close', () => reject(new SquashctlError('SQUASHCTL_FAILED', 'squashctl ended without printing an endpoint')));
  });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone: what we wanted
  }
}

/** Waits (checking every 50 ms: the plank is not our child, so no exit event reaches us) until `pid` is gone or a zombie. */
async function gone(pid: number, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (await isRunning(pid)) {
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

async function isRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers signal 0; /proc tells (local planks only exist where /proc does).
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (stat === '') return true;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

function settles(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}
