// "Squash: Debug Pod": the tutorial's flow as quick picks. Platform → (Kubernetes: namespace → pod →
// container) or (this machine: process) → debugger → (several workspace folders: which) → squashctl
// attaches (with a progress notification that can cancel it) → VS Code starts debugging with the
// configuration squashctl printed for the runtime.
import type { AttachSessions } from './attach-sessions.js';
import { missingDebugExtension } from './debug-extensions.js';
import { debuggerItems, DEBUGGERS } from './debugger-picks.js';
import { localGdb } from './local-gdb.js';
import type { AttachTarget, Attachment, SquashctlClient } from './squashctl-client.js';
import { SquashctlError } from './squashctl-output.js';
import type { DebugConfiguration, OutputChannel, QuickPickItem, VscodeApi } from './vscode-api.js';
import { chooseFolder, withoutWorkspaceFolder } from './workspace-folder.js';

export interface DebugPodDeps {
  api: VscodeApi;
  squashctl: SquashctlClient;
  sessions: AttachSessions;
  /** The Squash output channel: failures are written there in full. */
  output?: OutputChannel;
  /** squash.gdbPath, resolved (see local-gdb.ts); '' or absent: none set. */
  gdbPath?: string;
  /** Where gdb is looked up (PATH); default this process's environment. */
  env?: NodeJS.ProcessEnv;
}

export type DebugPodOutcome =
  | { status: 'cancelled' }
  | { status: 'started'; configuration: DebugConfiguration; attachment: Attachment }
  | { status: 'failed'; message: string };

type Picked<T> = QuickPickItem & { value: T };

/** Runs the command; never throws: failures are shown to the user and returned (tests read them). */
export async function debugPod(deps: DebugPodDeps): Promise<DebugPodOutcome> {
  const { api } = deps;
  try {
    return await runFlow(deps);
  } catch (err) {
    return reportFailure(api, err, deps.output);
  }
}

export const OPEN_SETTINGS = 'Open Settings';
export const SHOW_DETAILS = 'Show Details';
/** The gdb squashctl's cppdbg configurations name. */
const DEFAULT_GDB = '/usr/bin/gdb';

/**
 * Shows `err` to the user and returns it as the command's outcome; a setting's fault offers to open the settings.
 * Every failure is written in full to `output`. A notification shows one line (VS Code runs the lines of a
 * message together), so a message of several, such as a debugger's last words, shows its first line and
 * offers the rest in the output channel.
 */
export function reportFailure(api: VscodeApi, err: unknown, output?: OutputChannel): DebugPodOutcome {
  const message = describe(err);
  output?.appendLine(`[${new Date().toISOString()}] ${message}`);
  const fixedInSettings = err instanceof SquashctlError && (err.code === 'SETTINGS_INVALID' || err.code === 'SQUASHCTL_NOT_FOUND');
  const own = err instanceof Error ? err.message : String(err);
  const details = output !== undefined && own.includes('\n');
  const shown = details ? describe(err, `${own.slice(0, own.indexOf('\n')).trimEnd()} …`) : message;
  const actions = [...(fixedInSettings ? [OPEN_SETTINGS] : []), ...(details ? [SHOW_DETAILS] : [])];
  void api.window.showErrorMessage(shown, ...actions).then((choice) => {
    if (choice === OPEN_SETTINGS) void api.commands.executeCommand('workbench.action.openSettings', 'squash.');
    if (choice === SHOW_DETAILS) output?.show(true);
  });
  return { status: 'failed', message };
}

async function runFlow({ api, squashctl, sessions, gdbPath = '', env = process.env }: DebugPodDeps): Promise<DebugPodOutcome> {
  // The quick pick opens at once, busy while squashctl lists (seconds for a cluster; as long as a TCP connect
  // to an unreachable API server takes): Escape meanwhile closes it and stops squashctl.
  const pick = async <T>(load: (signal: AbortSignal) => Promise<Picked<T>[]>, placeHolder: string, empty: string): Promise<T | undefined> => {
    const abort = new AbortController();
    let failure: { err: unknown } | undefined;
    const items = load(abort.signal).then((list) => {
      if (list.length === 0) throw new SquashctlError('SQUASHCTL_FAILED', empty);
      return list;
    });
    items.catch((err: unknown) => void (failure = { err }));
    const chosen = await api.window.showQuickPick(items, { placeHolder, matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true });
    if (chosen) return chosen.value;
    if (failure) throw failure.err;
    abort.abort();
    return undefined;
  };
  const cancelled: DebugPodOutcome = { status: 'cancelled' };

  const platform = await pick<'local' | 'kube'>(
    async () => [
      { label: 'This machine', description: 'a process running here', value: 'local' },
      { label: 'Kubernetes', description: 'a container in a pod (settings: squash.kubeconfig, squash.context)', value: 'kube' },
    ],
    'Where does the process run?',
    '',
  );
  if (!platform) return cancelled;

  let target: AttachTarget;
  let runtime: string | undefined;
  /** Kubernetes: the debugger "detect" stands for (squashctl guesses it from the container's image). */
  let guessed: string | undefined;
  if (platform === 'local') {
    const chosen = await pick(
      async (signal) => (await squashctl.localTargets(signal)).map((t) => ({
        label: t.command,
        description: `pid ${t.pid} · ${t.runtime ?? 'runtime not detected'} · ${t.user}`,
        ...(t.containerId ? { detail: `container ${t.containerId.slice(0, 12)}` } : {}),
        value: t,
      })),
      'Process to debug (type to filter by command, pid or runtime)',
      'no processes to debug were found',
    );
    if (!chosen) return cancelled;
    target = { platform: 'local', pid: chosen.pid };
    runtime = chosen.runtime;
  } else {
    const namespace = await pick(async (signal) => (await squashctl.kubeNamespaces(signal)).map((n) => ({ label: n, value: n })), 'Namespace', 'no namespaces found');
    if (!namespace) return cancelled;
    const pod = await pick(async (signal) => (await squashctl.kubePods(namespace, signal)).map((p) => ({ label: p, value: p })), `Pod in ${namespace}`, `no pods in namespace ${namespace}`);
    if (!pod) return cancelled;
    // Listed before any pick shows: a pod with one container needs no pick (the cluster just answered for its pods).
    const containers = await squashctl.kubeContainers(namespace, pod);
    const container =
      containers.length === 1
        ? containers[0]
        : await pick(async () => containers.map((c) => ({ label: c.name, description: `debugger: ${c.debugger}`, value: c })), `Container of ${pod}`, `pod ${pod} has no containers`);
    if (!container) return cancelled;
    target = { platform: 'kube', namespace, pod, container: container.name };
    guessed = container.debugger;
  }

  const debuggerChoice = await api.window.showQuickPick(debuggerItems(runtime, { offerDetect: platform === 'kube' || runtime === undefined }), { placeHolder: 'Debugger', ignoreFocusOut: true });
  if (!debuggerChoice) return cancelled;
  const debugType = DEBUGGERS.find((d) => d.name === debuggerChoice.debugger)?.debugType;
  const missingBefore = debugType && missingDebugExtension(api, debugType);
  if (missingBefore) throw missingBefore;
  // Asked before attaching, so that Escape here costs nothing.
  const folder = await chooseFolder(api);
  if (folder === 'cancelled') return cancelled;
  const gdb = (debuggerChoice.debugger ?? guessed) === 'gdb';
  // cpptools runs a gdb here: said before attaching when the pick says gdb (else once the configuration does).
  if (gdb) localGdb(gdbPath, DEFAULT_GDB, env);
  // gdb loads symbols from a local copy of the binary; on this machine squashctl finds the process's own.
  let program: string | undefined;
  if (target.platform === 'kube' && gdb) {
    const picked = await api.window.showOpenDialog({
      title: `Local copy of the program container ${target.container} runs, built with debug info (-g): gdb loads its symbols`,
      openLabel: 'Debug with this binary',
      canSelectFiles: true,
      canSelectFolders: false,
      canSelectMany: false,
      ...(folder ? { defaultUri: folder.uri } : {}),
    });
    if (!picked?.[0]) return cancelled;
    program = picked[0].fsPath;
  }

  const where = target.platform === 'local' ? `process ${target.pid}` : `${target.namespace}/${target.pod}/${target.container}`;
  const attachment = await api.window.withProgress(
    { location: api.ProgressLocation.Notification, title: `Squash: attaching ${debuggerChoice.debugger ?? 'a debugger'} to ${where}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const listener = token.onCancellationRequested(() => abort.abort());
      try {
        progress.report({ message: target.platform === 'kube' ? 'starting a plank pod and port-forwarding…' : 'starting a plank…' });
        return await attachOrCancel(squashctl, { target, ...(debuggerChoice.debugger ? { debugger: debuggerChoice.debugger } : {}), ...(program ? { program } : {}) }, abort.signal);
      } finally {
        listener.dispose();
      }
    },
  );
  if (!attachment) return cancelled;

  const configuration = sessions.track(folder ? attachment.output.vscode : withoutWorkspaceFolder(attachment.output.vscode), attachment);
  let started = false;
  try {
    // "detect" on Kubernetes: the type is known only now.
    const missing = missingDebugExtension(api, configuration.type);
    if (missing) throw missing;
    if (configuration.type === 'cppdbg') {
      configuration.miDebuggerPath = localGdb(gdbPath, typeof configuration.miDebuggerPath === 'string' ? configuration.miDebuggerPath : DEFAULT_GDB, env);
    }
    started = await api.debug.startDebugging(folder, configuration);
  } finally {
    if (!started) await sessions.release(configuration);
  }
  if (!started) throw new SquashctlError('SQUASHCTL_FAILED', `VS Code did not start the "${configuration.type}" debug session (VS Code's own message says why); the debugger was let go`);
  return { status: 'started', configuration, attachment };
}

/** squashctl's attach; a cancel (the notification's button) resolves to undefined instead of failing. */
async function attachOrCancel(squashctl: SquashctlClient, request: Parameters<SquashctlClient['attach']>[0], signal: AbortSignal): Promise<Attachment | undefined> {
  let attachment: Attachment;
  try {
    attachment = await squashctl.attach(request, signal);
  } catch (err) {
    if (signal.aborted) return undefined;
    throw err;
  }
  // Cancel pressed as squashctl printed: the user still asked to let go.
  if (signal.aborted) {
    await attachment.release();
    return undefined;
  }
  return attachment;
}

/**
 * The message shown: squashctl's own message and, when it gave one, the hint that fixes it, as
 * `Squash: message (hint: …)`; `message` replaces the error's own (its first line, for a notification).
 */
export function describe(err: unknown, message?: string): string {
  if (err instanceof SquashctlError) return `Squash: ${message ?? err.message}${err.hint ? ` (hint: ${err.hint})` : ''}`;
  return `Squash: ${message ?? (err instanceof Error ? err.message : String(err))}`;
}
