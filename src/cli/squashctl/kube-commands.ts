// squashctl on Kubernetes: pick (or name) namespace → pod → container → debugger, start a plank pod on the
// target's node, show its progress, port-forward to localhost, print the endpoint and the IDE
// configuration, and hold the port-forward until Ctrl-C/SIGTERM or the plank pod's end (its TTL, the
// target exiting, a cleanup from elsewhere: said, with the plank's reason) — then delete the plank pod. A
// signal while waiting deletes the plank pod too; its activeDeadlineSeconds (the TTL) catches what is left.
import { resolve } from 'node:path';
import { LoopError } from '../../core/errors.js';
import { formatDuration } from '../../core/options-schema.js';
import { formatMachineOutput } from '../../squash/ide/index.js';
import {
  attachKube,
  checkKubeOptions,
  checkTarget,
  cleanupPlankPods,
  connectKube,
  defaultPlankImage,
  describePlankPodEnd,
  detectDebugger,
  kubeCall,
  listNamespaces,
  listPods,
  namespaceChoices,
  pickContainer,
  pickKubeDebugger,
  pickNamespace,
  pickPod,
  PLANK_NAMESPACE,
  plankLetGoReason,
  readTargetPod,
  type KubeOptions,
  type KubePodListing,
  type KubeSession,
  type PlankPodEnd,
} from '../../squash/kube/index.js';
import { DEBUGGER_NAMES, checkAttachOptions } from '../../squash/plank/index.js';
import { checkIdeWrite, renderColumns, renderIdeConfig, writeIdeConfig, type SquashctlOptions } from '../../squash/squashctl/index.js';
import { CommandExit, EXIT, STOP_SIGNALS, exitCodeForSignal } from '../cli-support.js';
import type { SquashctlIo } from './commands.js';

interface KubeAttachFlags {
  write: boolean;
  machine: boolean;
  prompting<T>(run: () => Promise<T>): Promise<T>;
}

export async function attachInKube(o: SquashctlOptions, k: KubeOptions, flags: KubeAttachFlags, io: SquashctlIo): Promise<void> {
  if (o.pid !== 0) throw new LoopError('CONFIG_INVALID', '--pid is for processes on this machine; on Kubernetes name --namespace, --pod and --container');
  checkAttachOptions({ ...o, container: '', pid: 1 });
  checkKubeOptions(k);
  if (flags.write && o.ide === 'nvim') throw new LoopError('CONFIG_INVALID', '--write supports --ide vscode and --ide jetbrains; for nvim, paste the printed Lua');
  if (flags.write) await checkIdeWrite(o.ide, resolve(io.cwd, o.workspace || '.'));
  const conn = connectKube(k);
  const say = (line: string): void => void io.stderr.write(`${line}\n`);
  const needPicker = (what: string): void => {
    if (!io.interactive) throw new LoopError('CONFIG_INVALID', `no terminal to pick a ${what} on: pass --${what}`, { hint: 'e.g. squashctl --namespace default --pod web-1 --container web' });
  };

  let namespace = k.namespace;
  if (namespace === '') {
    needPicker('namespace');
    const list = await kubeCall({ verb: 'list', resource: 'namespaces' }, () => conn.core.listNamespace(), conn.server);
    namespace = await flags.prompting(() => pickNamespace(namespaceChoices(list.items, k.allNamespaces), io.prompt));
  }
  let podName = k.pod;
  if (podName === '') {
    needPicker('pod');
    const list = await kubeCall({ verb: 'list', resource: 'pods', namespace }, () => conn.core.listNamespacedPod({ namespace }), conn.server);
    podName = await flags.prompting(() => pickPod(namespace, list.items, io.prompt));
  }
  const pod = await readTargetPod(conn, { namespace, pod: podName });
  let container = o.container;
  if (container === '') {
    const containers = pod.spec?.containers ?? [];
    if (containers.length === 1) container = containers[0]!.name;
    else {
      needPicker('container');
      container = await flags.prompting(() => pickContainer(pod, io.prompt));
    }
  }
  // A container that is missing or not running is refused now, before a debugger is asked for.
  checkTarget(pod, { namespace, pod: podName, container });
  const spec = pod.spec!.containers.find((c) => c.name === container)!;
  let debuggerName = o.debugger;
  if (debuggerName === undefined) {
    const detected = detectDebugger(spec);
    debuggerName = io.interactive && !flags.machine ? await flags.prompting(() => pickKubeDebugger(detected, DEBUGGER_NAMES, io.prompt)) : detected;
  }
  // Every IDE's gdb reads symbols from a local binary, and the container's own is not on this machine: said
  // now, rather than after a plank pod was started and attached for a configuration that cannot be written.
  if (debuggerName === 'gdb' && o.program === '') {
    throw new LoopError('CONFIG_INVALID', `gdb on Kubernetes needs --program: the IDE's gdb loads symbols from a local copy of container ${container}'s binary`, {
      hint: 'pass the binary the container runs, built with debug info (-g), e.g. --program ./build/server',
    });
  }

  const interrupted = new AbortController();
  let session: KubeSession | undefined;
  let exitCode: number = EXIT.OK;
  let onSignal = (signal: NodeJS.Signals): void => interrupted.abort(new CommandExit(exitCodeForSignal(signal)));
  const handler = (signal: NodeJS.Signals): void => onSignal(signal);
  for (const s of STOP_SIGNALS) process.on(s, handler);
  try {
    say(`attaching ${debuggerName} to ${namespace}/${podName} container ${container}: starting a plank pod in ${PLANK_NAMESPACE}…`);
    try {
      session = await attachKube(conn, {
        target: { namespace, pod: podName, container },
        debugger: debuggerName,
        ttlMs: o.ttl,
        image: k.plankImage || defaultPlankImage(),
        attachTimeoutMs: o.timeout,
        podTimeoutMs: k.podTimeout,
        localPort: o.port,
        signal: interrupted.signal,
        onProgress: (p) => {
          if (p.stage === 'created') say(`  plank pod ${PLANK_NAMESPACE}/${p.pod} created`);
          else if (p.stage === 'pending') say(`  ${p.detail}`);
          else if (p.stage === 'event') say(`  ${p.reason}: ${p.message}`);
          else if (p.stage === 'running') say('  Running: waiting for the plank to attach');
        },
        onForwardError: (m) => say(`port-forward: ${m}`),
      });
    } catch (err) {
      if (err instanceof CommandExit) say('interrupted: the plank pod was deleted');
      throw err;
    }
    const { endpoint, ready, forwardedTo } = session;
    // gdb loads symbols from a local copy of the target's binary: on Kubernetes only --program can name it.
    const ideOptions = o.program ? { program: resolve(io.cwd, o.program) } : {};
    const written = flags.write ? await writeIdeConfig(o.ide, endpoint, ideOptions, resolve(io.cwd, o.workspace || '.')) : undefined;
    if (flags.machine) {
      io.stdout.write(formatMachineOutput(endpoint, ideOptions));
    } else {
      const rendered = renderIdeConfig(o.ide, endpoint, ideOptions, written !== undefined);
      io.stdout.write(
        [
          `Attached ${endpoint.debugger} to ${namespace}/${podName} container ${container} (process ${endpoint.pid} on its node)`,
          `  endpoint  ${endpoint.host}:${endpoint.port} (${endpoint.protocol})${endpoint.websocketUrl ? `  ${endpoint.websocketUrl}` : ''}`,
          `  forwards  to ${forwardedTo.namespace}/${forwardedTo.pod} port ${forwardedTo.port}`,
          `  plank     pod ${PLANK_NAMESPACE}/${session.plankPod}, lets go at ${ready.plank.expiresAt} (TTL ${formatDuration(ready.plank.ttlMs)})`,
          '  Ctrl-C ends the session and deletes the plank pod.',
          '',
          `${rendered.where}:`,
          rendered.text,
        ].join('\n'),
      );
    }
    if (written) say(written.summary);
    // Hold the port-forward until a signal, or until the plank pod ends without us (nothing to forward to then).
    const ended = await new Promise<PlankPodEnd | undefined>((resolve) => {
      onSignal = () => resolve(undefined);
      void session!.ended.then((end) => end && resolve(end));
    });
    if (ended) {
      const why = ended.deleted ? undefined : await plankLetGoReason(conn, session.plankPod);
      const { message, failed } = describePlankPodEnd(session.plankPod, ended, why);
      say(`${message}: the session is over`);
      if (failed) exitCode = EXIT.FAILED;
    } else {
      say('ending the session: deleting the plank pod');
    }
  } finally {
    // A second Ctrl-C while the plank pod is being deleted must not abandon the deletion (the pod would wait out its TTL).
    onSignal = () => say('still deleting the plank pod…');
    try {
      await session?.close();
    } finally {
      for (const s of STOP_SIGNALS) process.off(s, handler);
    }
  }
  if (exitCode !== EXIT.OK) throw new CommandExit(exitCode);
}

export async function cleanupInKube(k: Pick<KubeOptions, 'kubeconfig' | 'context'>, io: SquashctlIo): Promise<void> {
  const conn = connectKube(k);
  const names = await cleanupPlankPods(conn);
  if (names.length === 0) return void io.stdout.write(`no plank pods in ${PLANK_NAMESPACE}\n`);
  for (const n of names) io.stdout.write(`deleted plank pod ${PLANK_NAMESPACE}/${n}\n`);
}

/** `squashctl kube namespaces [-o json]`: what the namespace picker offers. */
export async function listKubeNamespaces(k: Pick<KubeOptions, 'kubeconfig' | 'context' | 'allNamespaces'>, output: 'table' | 'json', io: SquashctlIo): Promise<void> {
  const conn = connectKube(k);
  const list = await kubeCall({ verb: 'list', resource: 'namespaces' }, () => conn.core.listNamespace(), conn.server);
  const namespaces = listNamespaces(list.items, k.allNamespaces);
  if (output === 'json') return void io.stdout.write(`${JSON.stringify(namespaces, null, 2)}\n`);
  io.stdout.write(namespaces.map((n) => `${n.name}\n`).join(''));
}

/** `squashctl kube pods --namespace NS [-o json]`: the Running pods and their containers, debugger guessed. */
export async function listKubePods(k: Pick<KubeOptions, 'kubeconfig' | 'context' | 'namespace'>, output: 'table' | 'json', io: SquashctlIo): Promise<void> {
  const namespace = k.namespace;
  if (namespace === '') throw new LoopError('CONFIG_INVALID', '--namespace: which namespace\'s pods? e.g. squashctl kube pods --namespace default', { hint: 'squashctl kube namespaces lists them' });
  const conn = connectKube(k);
  const list = await kubeCall({ verb: 'list', resource: 'pods', namespace }, () => conn.core.listNamespacedPod({ namespace }), conn.server);
  const pods = listPods(list.items);
  if (output === 'json') return void io.stdout.write(`${JSON.stringify(pods, null, 2)}\n`);
  if (pods.length === 0) return void io.stdout.write(`no Running pods in namespace ${namespace}\n`);
  const rows = pods.flatMap((p) => p.containers.map((c) => ({ pod: p, c })));
  io.stdout.write(
    renderColumns<{ pod: KubePodListing; c: KubePodListing['containers'][number] }>([
      { header: 'POD', value: (r) => r.pod.name },
      { header: 'CONTAINER', value: (r) => r.c.name },
      { header: 'DEBUGGER', value: (r) => r.c.debugger },
      { header: 'IMAGE', value: (r) => r.c.image },
      { header: 'NODE', value: (r) => r.pod.node },
    ], rows),
  );
}
