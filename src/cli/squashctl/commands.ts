// squashctl's commands: the attach flow (pick or name a target, pick or detect a debugger, start a plank,
// print the endpoint and the IDE configuration), and `targets`, `list`, `cleanup`.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { LoopError, messageOf } from '../../core/errors.js';
import { formatDuration, opt, resolveOptions } from '../../core/options-schema.js';
import { createDebuggerRegistry } from '../../squash/debuggers/index.js';
import { formatMachineOutput, type IdeOptions } from '../../squash/ide/index.js';
import { choosePlatform, kubeOptionsSchema, type Platform } from '../../squash/kube/kube-options.js';
import { checkAttachOptions, readProcessState, resolveContainerTarget } from '../../squash/plank/index.js';
import { shortContainerId } from '../../squash/targets/index.js';
import type { DebugEndpoint, DebuggerName } from '../../squash/squash-types.js';
import {
  assertNotHeld,
  checkIdeWrite,
  checkProgram,
  cleanupPlank,
  cleanupPlanks,
  createPlankRegistry,
  debuggerChoices,
  describeReady,
  launchPlank,
  PLANK_LOGS_KEPT,
  plankLogFile,
  renderColumns,
  renderIdeConfig,
  squashctlOptionsSchema,
  targetRows,
  writeIdeConfig,
  type PlankRecord,
} from '../../squash/squashctl/index.js';
import type { PromptContext } from '../../squash/squashctl/pickers.js';
import { displayCommand, listLocalTargets, readProcess } from '../../squash/targets/index.js';
import { CommandExit, EXIT, STOP_SIGNALS, exitCodeForSignal } from '../cli-support.js';
import { addSchemaOptions, flagValues } from '../command-options.js';

/**
 * The Kubernetes commands, loaded when one runs: @kubernetes/client-node is some 600 modules, and loading
 * them made every squashctl command (`--help`, a local attach) take a second before it did anything.
 */
const kubeCommands = (): Promise<typeof import('./kube-commands.js')> => import('./kube-commands.js');

/** 128 + SIGINT, what shells report for a command ended by Ctrl-C. */
export const EXIT_INTERRUPTED = EXIT.INTERRUPTED;

export interface SquashctlIo {
  stdout: Writable;
  stderr: Writable;
  /** Both stdin and the prompt's output (stderr) are terminals. */
  interactive: boolean;
  prompt: PromptContext;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stateDir: string;
  /** The plank entry point next to ours, and the node that runs it. */
  plankMain: string;
  nodePath: string;
}

export function registerCommands(program: Command, io: SquashctlIo): void {
  const out = (s: string): void => void io.stdout.write(s);
  const registry = () => createPlankRegistry(io.stateDir);

  addSchemaOptions(addSchemaOptions(program, squashctlOptionsSchema), kubeOptionsSchema)
    .option('--write', 'write the configuration into the workspace (.vscode/launch.json merged, or the JetBrains .run file)')
    .option('--machine', 'print one JSON document (endpoint + VS Code configuration) for editor plugins, nothing else on stdout')
    // A word left over (`squashctl frobnicate`) is refused as an unknown command by refuseExcessArguments (main.ts).
    .action((flags: Record<string, unknown>) => {
      return attach(flags, io);
    });

  program
    .command('targets')
    .alias('ps')
    .description('list the processes you can debug, detected runtimes first')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--shells', 'also list command shells (bash, sh, …; runtime "shell"), which gdb can attach to with --pid PID --debugger gdb')
    .action(async (o: { output: string; shells?: boolean }) => {
      const targets = await listLocalTargets({ includeShells: o.shells === true });
      if (o.output === 'json') return out(`${JSON.stringify(targets, null, 2)}\n`);
      const { header, rows } = targetRows(targets);
      out([header, ...rows].map((l) => l.trimEnd()).join('\n') + '\n');
    });

  // --kubeconfig, --context, --namespace and --all-namespaces are squashctl's own options (program.opts()).
  const kubeFlags = () => resolveOptions(kubeOptionsSchema, [{ source: 'flags', values: flagValues(kubeOptionsSchema, program.opts()) }]);
  const kube = program.command('kube').description('list Kubernetes namespaces and pods (for editor plugins: -o json)');
  kube
    .command('namespaces')
    .description('the namespaces to pick a target from (system ones only with --all-namespaces)')
    .addOption(new Option('-o, --output <format>', 'output format: json is [{"name"}]').choices(['table', 'json']).default('table'))
    .action(async (o: { output: 'table' | 'json' }) => (await kubeCommands()).listKubeNamespaces(kubeFlags(), o.output, io));
  kube
    .command('pods')
    .description('the Running pods of --namespace, with their containers and the debugger each likely needs')
    .addOption(new Option('-o, --output <format>', 'output format: json is [{"namespace","name","node","containers":[{"name","image","containerId","debugger"}]}]').choices(['table', 'json']).default('table'))
    .action(async (o: { output: 'table' | 'json' }) => (await kubeCommands()).listKubePods(kubeFlags(), o.output, io));

  program
    .command('list')
    .description(`list the planks squashctl started that are still holding a target; the logs of the last ${PLANK_LOGS_KEPT} planks, ended or not, are kept as plank-*.log in the state directory ($SQUASH_STATE_DIR, else $XDG_STATE_HOME/squash, else ~/.local/state/squash)`)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (o: { output: string }) => {
      const planks = await registry().list();
      if (o.output === 'json') return out(`${JSON.stringify(planks, null, 2)}\n`);
      if (planks.length === 0) return out('no planks running\n');
      out(renderColumns<PlankRecord>([
        { header: 'PLANK', value: (r) => String(r.pid), align: 'right' },
        { header: 'TARGET', value: (r) => `${r.target.pid}${r.target.containerId ? ` [${shortContainerId(r.target.containerId)}]` : ''} ${r.target.command}`.slice(0, 60) },
        { header: 'DEBUGGER', value: (r) => r.debugger },
        { header: 'ENDPOINT', value: (r) => `${r.endpoint.host}:${r.endpoint.port}` },
        { header: 'EXPIRES', value: (r) => `${r.expiresAt} (in ${remaining(Date.parse(r.expiresAt) - Date.now())})` },
        { header: 'LOG', value: (r) => r.logFile ?? '-' },
      ], planks));
    });

  program
    .command('cleanup')
    .description('end every plank squashctl started (each detaches; the targets keep running)')
    .option('--grace <duration>', GRACE_OPTION.description, '10s')
    .addHelpText('after', '\nWith --platform kube (and --kubeconfig/--context), deletes every plank pod (label plank=true) in namespace squash-debugger.')
    .action(async (o: { grace: string }) => {
      // --platform, --kubeconfig and --context are squashctl's own options; commander hands them to the program.
      const k = resolveOptions(kubeOptionsSchema, [{ source: 'flags', values: flagValues(kubeOptionsSchema, program.opts()) }]);
      if (k.platform === 'kube') return (await kubeCommands()).cleanupInKube(k, io);
      const { grace } = resolveOptions({ grace: GRACE_OPTION }, [{ source: 'flags', values: { grace: o.grace } }]);
      const results = await cleanupPlanks(registry(), { graceMs: grace });
      if (results.length === 0) return out('no planks to clean up\n');
      for (const { record: r, outcome } of results) {
        const what = `plank ${r.pid} (${r.debugger} on process ${r.target.pid})`;
        out(outcome === 'ended' ? `ended ${what}\n` : outcome === 'killed' ? `killed ${what}: it did not detach within ${formatDuration(grace)}\n` : `${what} had already exited\n`);
      }
    });
}

/** cleanup --grace: any duration (0 kills at once); not --timeout's 1ms to 24h, which its errors would name. */
const GRACE_OPTION = opt.duration({ description: 'how long a plank may take to detach before it is killed', default: 10_000 });

async function attach(flags: Record<string, unknown>, io: SquashctlIo): Promise<void> {
  const parsed = resolveOptions(squashctlOptionsSchema, [{ source: 'flags', values: flagValues(squashctlOptionsSchema, flags) }]);
  const k = resolveOptions(kubeOptionsSchema, [{ source: 'flags', values: flagValues(kubeOptionsSchema, flags) }]);
  // A --program that is not a file is refused before anything is attached; from here on it is absolute.
  const o = { ...parsed, program: (await checkProgram(parsed.program, io.cwd)) ?? '' };
  const platform = choosePlatform(k, flags.platform === undefined ? undefined : (k.platform as Platform));
  if (platform === 'local' && (k.namespace !== '' || k.pod !== '')) {
    throw new LoopError('CONFIG_INVALID', '--namespace and --pod name a Kubernetes target: drop --platform local (or use --platform kube)');
  }
  if (platform === 'kube') {
    return (await kubeCommands()).attachInKube(o, k, { write: flags.write === true, machine: flags.machine === true, prompting }, io);
  }
  checkAttachOptions(o, { targetRequired: false });
  const write = flags.write === true;
  const machine = flags.machine === true;
  if (write && o.ide === 'nvim') throw new LoopError('CONFIG_INVALID', '--write supports --ide vscode and --ide jetbrains; for nvim, paste the printed Lua');
  const workspace = resolve(io.cwd, o.workspace || '.');
  if (write) await checkIdeWrite(o.ide, workspace);

  let pid = o.pid;
  let debuggerName: DebuggerName | undefined = o.debugger;
  if (pid === 0 && o.container === '') {
    if (!io.interactive) {
      throw new LoopError('CONFIG_INVALID', 'no terminal to pick a process on: pass --pid PID or --container ID', { hint: 'list candidates with `squashctl targets`' });
    }
    // The pickers (and @inquirer under them) are loaded only here, when there is something to pick.
    const { pickDebugger, pickTarget } = await import('../../squash/squashctl/pickers.js');
    const targets = await listLocalTargets();
    const target = await prompting(() => pickTarget(targets, io.prompt));
    pid = target.pid;
    if (debuggerName === undefined) {
      const all = createDebuggerRegistry().all;
      const offers = await Promise.all(all.map(async (d) => ({ name: d.name, runtimes: d.runtimes, availability: await d.available() })));
      const choices = debuggerChoices(offers, target.runtime);
      debuggerName = await prompting(() => pickDebugger(choices, io.prompt));
    }
  }

  // One plank per process: refused here, before a second debugger disturbs the first (or fails obscurely).
  const live = await createPlankRegistry(io.stateDir).list();
  if (live.length > 0) assertNotHeld(live, pid !== 0 ? pid : (await resolveContainerTarget(o.container)).process.pid);

  const args = [
    ...(pid !== 0 ? ['--pid', String(pid)] : ['--container', o.container]),
    ...(debuggerName ? ['--debugger', debuggerName] : []),
    '--ttl', formatDuration(o.ttl),
    '--port', String(o.port),
    '--timeout', formatDuration(o.timeout),
  ];
  await mkdir(io.stateDir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
    throw new LoopError('CONFIG_INVALID', `cannot create squashctl's state directory ${io.stateDir}: ${messageOf(err)}`, {
      cause: err,
      hint: 'set SQUASH_STATE_DIR (or XDG_STATE_HOME) to a directory you can write',
    });
  });
  // Room for this plank's log among the last PLANK_LOGS_KEPT (older ones go, never a live plank's).
  await createPlankRegistry(io.stateDir).pruneLogs(PLANK_LOGS_KEPT - 1);
  const logFile = plankLogFile(io.stateDir, Date.now(), randomBytes(3).toString('hex'));
  // Ctrl-C, a kill or a closed terminal, from the start of the plank until it is recorded: the plank runs
  // detached from squashctl, so squashctl ending here by default would leave it attached and unlisted until
  // its TTL. One that already attached is recorded first and then ended as cleanup ends it.
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => interrupted.abort(new CommandExit(exitCodeForSignal(signal)));
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  let launched;
  let record: PlankRecord;
  let target: Awaited<ReturnType<typeof readProcess>> | undefined;
  try {
    try {
      if (!machine) io.stderr.write(`attaching${debuggerName ? ` ${debuggerName}` : ''} to ${pid !== 0 ? `process ${pid}` : `container ${o.container}`}…\n`);
      launched = await launchPlank({ nodePath: io.nodePath, plankMain: io.plankMain, args, logFile, timeoutMs: o.timeout + 15_000, signal: interrupted.signal, env: io.env });
    } catch (err) {
      if (err instanceof CommandExit) io.stderr.write('interrupted: the plank was told to let go (it detaches if it had attached)\n');
      throw err;
    }
    const { ready } = launched;
    target = await readProcess(ready.endpoint.pid).catch(() => undefined);
    record = {
      pid: launched.pid,
      startTime: (await readProcessState(launched.pid))?.startTime ?? -1,
      target: { pid: ready.endpoint.pid, command: target ? displayCommand(target, 80) : '', runtime: ready.endpoint.runtime, ...(target?.containerId ? { containerId: target.containerId } : {}) },
      debugger: ready.endpoint.debugger,
      endpoint: ready.endpoint,
      startedAt: new Date().toISOString(),
      expiresAt: ready.plank.expiresAt,
      logFile,
    };
    const registry = createPlankRegistry(io.stateDir);
    await registry.save(record);
    if (interrupted.signal.aborted) {
      io.stderr.write('interrupted: ending the plank that had just attached (it detaches)\n');
      await cleanupPlank(registry, record);
      throw interrupted.signal.reason;
    }
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
  const { ready } = launched;
  const endpoint = ready.endpoint;
  const command = record.target.command;

  const ideOptions = ideOptionsFor(endpoint, o.program, target);
  const written = write ? await writeIdeConfig(o.ide, endpoint, ideOptions, workspace) : undefined;
  if (machine) {
    io.stdout.write(formatMachineOutput(endpoint, ideOptions));
    if (written) io.stderr.write(`${written.summary}\n`);
    return;
  }
  const rendered = renderIdeConfig(o.ide, endpoint, ideOptions, written !== undefined);
  io.stdout.write(`${describeReady(ready, command)}\n${rendered.where}:\n${rendered.text}`);
  if (written) io.stdout.write(`\n${written.summary}\n`);
}

/** C targets need the local binary: --program (already absolute), or by default the target's own executable (as seen from the host). */
function ideOptionsFor(endpoint: DebugEndpoint, program: string, target: { exe: string; containerId?: string } | undefined): IdeOptions {
  if (endpoint.runtime !== 'c') return {};
  if (program) return { program };
  if (!target?.exe) return {};
  return { program: target.containerId ? `/proc/${endpoint.pid}/root${target.exe}` : target.exe };
}

/** Runs a prompt; Ctrl-C (or a closed terminal) becomes a quiet exit with 130, nothing started. */
async function prompting<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const name = (err as { name?: unknown }).name;
    if (name === 'ExitPromptError' || name === 'AbortPromptError') throw new CommandExit(EXIT_INTERRUPTED);
    throw err;
  }
}

/** `1h5m`, `12m`, `40s`: how long until a plank lets go, to the precision a person reads. */
export function remaining(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m`;
  return `${s}s`;
}
