// The VS Code extension (vscode-extension/) against a stand-in of the `vscode` API, running the REAL built
// squashctl (run `npm run build` first) against real sample services: the command's quick picks choose the
// sample, squashctl attaches, and the configuration handed to `debug.startDebugging` is then used the way the
// runtime's VS Code debugger would use it — CDP for node, DAP `attach` for debugpy and Delve. Ending the
// debug session must end the plank and leave the target serving. Also: errors carry squashctl's message and
// hint, the Kubernetes flow's picks, and the packaged .vsix (its manifest and its bundle loading under `require`).
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectCdp } from '../../src/squash/debuggers/cdp-client.js';
import { connectDap, type DapConnection } from '../../src/squash/debuggers/dap-client.js';
import { activateWith, checkExtraArgs, DEBUG_POD_COMMAND, type SquashExtension } from '../../vscode-extension/src/activate.js';
import { createAttachSessions } from '../../vscode-extension/src/attach-sessions.js';
import { debugPod, type DebugPodOutcome } from '../../vscode-extension/src/debug-pod-command.js';
import { SquashctlError } from '../../vscode-extension/src/squashctl-output.js';
import { attachArgs, createSquashctlClient, type Attachment, type AttachRequest, type SquashctlClient } from '../../vscode-extension/src/squashctl-client.js';
import type { DebugConfiguration, DebugSession, QuickPickItem, QuickPickOptions, VscodeApi, WorkspaceFolder } from '../../vscode-extension/src/vscode-api.js';
import { standInKubeconfig } from '../../src/loop/kube/kube-api-stand-in.test-helper.js';
import { startPodApiStandIn } from '../../src/squash/kube/pod-api-stand-in.test-helper.js';
import { sampleCommand } from '../../src/squash/samples/sample-targets.js';
import { ROOT, runCli } from './harness.js';
import { EXAMPLES, startSample, useBuiltSamples, type RunningSample } from './sample-targets.js';
import { markerLine } from './breakpoint-drivers.js';

const SQUASHCTL = path.join(ROOT, 'dist/cli/squashctl/main.js');
const EXTENSION_DIR = path.join(ROOT, 'vscode-extension');
const run = promisify(execFile);

// ------------------------------------------------------------------------------- the `vscode` stand-in

type Picker = (items: readonly QuickPickItem[], options: QuickPickOptions | undefined) => QuickPickItem | undefined;

interface FakeVscode {
  api: VscodeApi;
  context: { subscriptions: { dispose(): unknown }[] };
  picks: { items: readonly QuickPickItem[]; options: QuickPickOptions | undefined }[];
  progress: { title: string | undefined; location: number; cancellable: boolean | undefined; messages: string[] }[];
  errors: string[];
  /** The buttons each error offered. */
  errorActions: string[][];
  /** Commands run through executeCommand. */
  executed: unknown[][];
  /** The file dialogs shown, by title. */
  dialogs: string[];
  /** Lines written to the Squash output channel, and how often it was shown. */
  output: { lines: string[]; shown: number };
  started: { folder: WorkspaceFolder | undefined; configuration: DebugConfiguration }[];
  /** Runs a registered command the way the command palette does, returning the handler's result. */
  execute(command: string): Promise<unknown>;
  /** Ends a debug session started with `configuration`: every onDidTerminateDebugSession listener runs; resolves when they settled. */
  endSession(configuration: DebugConfiguration): Promise<unknown[]>;
  /** VS Code's Restart for an adapter without a restart request: the session ends, and 300 ms later starts again (same id, same configuration). */
  restartSession(configuration: DebugConfiguration): Promise<unknown[]>;
}

const NOTIFICATION = 15; // vscode.ProgressLocation.Notification

const EXAMPLES_FOLDER: WorkspaceFolder = { uri: { scheme: 'file', fsPath: EXAMPLES }, name: 'examples', index: 0 };

function fakeVscode(options: {
  settings: Record<string, unknown>;
  pickers: Picker[];
  startDebugging?: boolean;
  cancelProgress?: boolean;
  /** The open workspace folders; default one (examples). Empty: no folder open. */
  folders?: WorkspaceFolder[];
  /** A saved multi-root workspace's .code-workspace file. */
  workspaceFile?: string;
  /** Debug types the installed extensions contribute; default all five squashctl configures. */
  debugTypes?: string[];
  /** When the user presses Escape on an escapeWhileLoading pick; default at once. */
  escapeAfter?: Promise<unknown>;
  /** The button the user clicks on an error notification, when it offers it. */
  errorAction?: string;
  /** What the file dialog answers (undefined: Escape). */
  openDialog?: string;
}): FakeVscode {
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const terminateListeners = new Set<(session: DebugSession) => unknown>();
  const startListeners = new Set<(session: DebugSession) => unknown>();
  const fake: Omit<FakeVscode, 'api'> = {
    context: { subscriptions: [] },
    picks: [],
    progress: [],
    errors: [],
    errorActions: [],
    executed: [],
    output: { lines: [], shown: 0 },
    dialogs: [],
    started: [],
    async execute(command) {
      const handler = commands.get(command);
      if (!handler) throw new Error(`command ${command} is not registered`);
      return handler();
    },
    endSession(configuration) {
      const session: DebugSession = { id: 'session-1', name: configuration.name, configuration };
      return Promise.all([...terminateListeners].map((l) => l(session)));
    },
    async restartSession(configuration) {
      const session: DebugSession = { id: 'session-1', name: configuration.name, configuration };
      const ended = Promise.all([...terminateListeners].map((l) => l(session)));
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const l of startListeners) l(session);
      return ended;
    },
  };
  const folders = options.folders ?? [EXAMPLES_FOLDER];
  const api: VscodeApi = {
    ProgressLocation: { Notification: NOTIFICATION },
    window: {
      async showQuickPick<T extends QuickPickItem>(loading: readonly T[] | PromiseLike<readonly T[]>, pickOptions?: QuickPickOptions) {
        // Escape while the items load: VS Code shows the pick (busy) at once and resolves undefined.
        if (options.pickers[fake.picks.length] === escapeWhileLoading) {
          fake.picks.push({ items: [], options: pickOptions });
          await options.escapeAfter;
          return undefined;
        }
        const items = await loading; // VS Code rejects the pick when its items reject
        fake.picks.push({ items, options: pickOptions });
        const picker = options.pickers[fake.picks.length - 1];
        if (!picker) throw new Error(`unexpected quick pick #${fake.picks.length}: ${pickOptions?.placeHolder}`);
        return picker(items, pickOptions) as T | undefined;
      },
      async showWorkspaceFolderPick(pickOptions) {
        const items = folders.map((f) => ({ label: f.name, folder: f }));
        fake.picks.push({ items, options: pickOptions });
        const picker = options.pickers[fake.picks.length - 1];
        if (!picker) throw new Error(`unexpected workspace folder pick #${fake.picks.length}`);
        return (picker(items, pickOptions) as (typeof items)[number] | undefined)?.folder;
      },
      async withProgress(progressOptions, task) {
        const record = { title: progressOptions.title, location: progressOptions.location, cancellable: progressOptions.cancellable, messages: [] as string[] };
        fake.progress.push(record);
        const cancelListeners = new Set<() => unknown>();
        const token = {
          isCancellationRequested: false,
          onCancellationRequested(listener: () => unknown) {
            cancelListeners.add(listener);
            return { dispose: () => cancelListeners.delete(listener) };
          },
        };
        const result = task({ report: (v) => void (v.message && record.messages.push(v.message)) }, token);
        if (options.cancelProgress) {
          token.isCancellationRequested = true;
          for (const l of cancelListeners) l();
        }
        return result;
      },
      async showErrorMessage(message, ...items) {
        fake.errors.push(message);
        fake.errorActions.push(items);
        return options.errorAction && items.includes(options.errorAction) ? options.errorAction : undefined;
      },
      async showInformationMessage() {
        return undefined;
      },
      async showOpenDialog(dialogOptions) {
        fake.dialogs.push(dialogOptions?.title ?? '');
        return options.openDialog === undefined ? undefined : [{ scheme: 'file', fsPath: options.openDialog }];
      },
      createOutputChannel: () => ({
        appendLine: (line) => void fake.output.lines.push(line),
        show: () => void fake.output.shown++,
        dispose: () => undefined,
      }),
    },
    debug: {
      async startDebugging(f, configuration) {
        // What VS Code does before any debug extension sees the configuration: resolve its variables.
        if (!f && JSON.stringify(configuration).includes('${workspaceFolder}')) {
          fake.errors.push('Variable ${workspaceFolder} can not be resolved. Please open a folder.');
          return false;
        }
        fake.started.push({ folder: f, configuration });
        return options.startDebugging ?? true;
      },
      onDidStartDebugSession(listener) {
        startListeners.add(listener);
        return { dispose: () => startListeners.delete(listener) };
      },
      onDidTerminateDebugSession(listener) {
        terminateListeners.add(listener);
        return { dispose: () => terminateListeners.delete(listener) };
      },
    },
    workspace: {
      workspaceFolders: folders.length > 0 ? folders : undefined,
      workspaceFile: options.workspaceFile !== undefined ? { scheme: 'file', fsPath: options.workspaceFile } : undefined,
      getConfiguration: (section) => ({
        get: <T>(key: string, defaultValue: T): T => (section === 'squash' && key in options.settings ? (options.settings[key] as T) : defaultValue),
      }),
    },
    extensions: {
      all: (options.debugTypes ?? ['go', 'node', 'debugpy', 'cppdbg', 'java']).map((type) => ({ id: `test.${type}`, packageJSON: { contributes: { debuggers: [{ type, label: type }] } } })),
    },
    commands: {
      registerCommand(command, callback) {
        commands.set(command, callback);
        return { dispose: () => commands.delete(command) };
      },
      async executeCommand(command, ...rest) {
        fake.executed.push([command, ...rest]);
        return undefined;
      },
    },
  };
  return { ...fake, api };
}

/** Pickers by what the user would choose: the item whose label (or description) matches. */
const choose = (match: (item: QuickPickItem & Record<string, unknown>) => boolean): Picker => (items) => {
  const item = items.find((i) => match(i as QuickPickItem & Record<string, unknown>));
  if (!item) throw new Error(`no quick pick item matches among: ${items.map((i) => `${i.label} (${i.description ?? ''})`).join('; ')}`);
  return item;
};
const thisMachine = choose((i) => i.label === 'This machine');
const processOf = (sample: RunningSample): Picker => choose((i) => (i.value as { pid?: number } | undefined)?.pid === sample.pid);
const firstItem: Picker = (items) => items[0];
/** Escape pressed while the quick pick is still busy loading its items. */
const escapeWhileLoading: Picker = () => undefined;

/** VS Code substitutes ${workspaceFolder} before the debugger sees the configuration. */
function resolveVariables(configuration: DebugConfiguration, workspaceFolder: string): DebugConfiguration {
  return JSON.parse(JSON.stringify(configuration).replaceAll('${workspaceFolder}', workspaceFolder)) as DebugConfiguration;
}

// ---------------------------------------------------------------------------------------- fixtures

let stateDir: string;
const samples: RunningSample[] = [];
const extensions: SquashExtension[] = [];
const squashctlEnv = (): NodeJS.ProcessEnv => ({ ...process.env, SQUASH_STATE_DIR: stateDir });
/** The Go sample is compiled only when a test first needs it. */
const builtSamples = useBuiltSamples({ build: 'onDemand' });

beforeEach(async () => {
  if (!existsSync(SQUASHCTL)) throw new Error(`${SQUASHCTL} is missing: run \`npm run build\` first`);
  stateDir = await mkdtemp(path.join(tmpdir(), 'squash-vscode-'));
});
afterEach(async () => {
  for (const e of extensions.splice(0)) await e.dispose();
  await runCli(SQUASHCTL, ['cleanup', '--grace', '5s'], { env: { SQUASH_STATE_DIR: stateDir } });
  await Promise.all(samples.splice(0).map((s) => s.stop()));
  await rm(stateDir, { recursive: true, force: true });
});

async function sample(runtime: 'node' | 'python' | 'go'): Promise<RunningSample> {
  const s = await startSample(runtime, runtime === 'go' ? await builtSamples.ensure() : undefined);
  samples.push(s);
  return s;
}

function activate(fake: FakeVscode): SquashExtension {
  const extension = activateWith(fake.api, fake.context, { env: squashctlEnv(), graceMs: 10_000, restartGraceMs: 1_000 });
  extensions.push(extension);
  return extension;
}

async function planks(): Promise<{ pid: number; endpoint: { port: number } }[]> {
  const r = await runCli(SQUASHCTL, ['list', '-o', 'json'], { env: { SQUASH_STATE_DIR: stateDir } });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { pid: number; endpoint: { port: number } }[];
}

/** Processes whose command line mentions `needle` (the squashctl runs the extension started with that argument). */
async function squashctlRunsWith(needle: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(needle)) found.push(Number(entry));
  }
  return found;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An exited plank whose parent (squashctl) is gone waits as a zombie until PID 1 reaps it, which some
  // PID 1s (this sandbox's) never do: a zombie has exited all the same.
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false; // reaped meanwhile
  }
}

async function pay(s: RunningSample, amount: number): Promise<unknown> {
  const res = await fetch(`${s.url}/pay?amount=${amount}`);
  expect(res.status).toBe(200);
  return res.json();
}

/** Runs "Squash: Debug Pod" on `s` with the detected debugger, expecting a started session. */
async function debugSample(s: RunningSample, fake: FakeVscode): Promise<Extract<DebugPodOutcome, { status: 'started' }>> {
  activate(fake);
  const outcome = (await fake.execute(DEBUG_POD_COMMAND)) as DebugPodOutcome;
  if (outcome.status !== 'started') throw new Error(`Debug Pod did not start a session: ${JSON.stringify(outcome)}; errors: ${fake.errors.join('\n')}`);
  expect(fake.started).toEqual([{ folder: EXAMPLES_FOLDER, configuration: outcome.configuration }]);
  return outcome;
}

/** Ends the session as VS Code would and checks the plank is gone while the target keeps serving. */
async function endSessionAndCheck(fake: FakeVscode, configuration: DebugConfiguration, s: RunningSample): Promise<void> {
  const [plank] = await planks();
  expect(plank, 'a plank is running while the session is').toBeDefined();
  expect(isRunning(plank!.pid)).toBe(true);
  expect(await fake.endSession(configuration)).toEqual(['ended']);
  expect(isRunning(plank!.pid)).toBe(false);
  expect(await planks()).toEqual([]);
  expect(isRunning(s.pid)).toBe(true);
  expect(await pay(s, 300)).toEqual({ amount: 300, fee: 3 });
}

// ------------------------------------------------------------------------------------------- tests

describe('Squash: Debug Pod on this machine (real squashctl, real samples)', () => {
  it('picks a node process, starts a node attach that speaks CDP, and ending the session ends the plank', async () => {
    const s = await sample('node');
    const fake = fakeVscode({ settings: { squashctlPath: SQUASHCTL, extraArgs: ['--ttl', '7m'] }, pickers: [thisMachine, processOf(s), firstItem] });
    const { configuration } = await debugSample(s, fake);

    // squash.extraArgs reached squashctl: the plank lets go after 7 minutes, not the default hour.
    const [plank] = (await planks()) as unknown as { startedAt: string; expiresAt: string }[];
    expect(Math.round((Date.parse(plank!.expiresAt) - Date.parse(plank!.startedAt)) / 60_000)).toBe(7);
    expect(fake.picks.map((p) => p.items[0]?.label)).toEqual(['This machine', expect.any(String), 'nodejs']);
    expect(fake.picks[1]!.items.find((i) => (i as { value?: { pid?: number } }).value?.pid === s.pid)?.description).toMatch(/^pid \d+ · node · /);
    expect(fake.picks[2]!.items[0]!.description).toContain('detected: node');
    expect(fake.progress).toEqual([{ title: `Squash: attaching nodejs to process ${s.pid}`, location: NOTIFICATION, cancellable: true, messages: ['starting a plank…'] }]);
    expect(configuration).toMatchObject({ type: 'node', request: 'attach', address: '127.0.0.1', port: expect.any(Number), websocketAddress: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\//) });

    // What js-debug does with it: a CDP connection to websocketAddress.
    const cdp = await connectCdp(configuration.websocketAddress as string);
    try {
      const evaluated = await cdp.send<{ result: { value: unknown } }>('Runtime.evaluate', { expression: '1+1' });
      expect(evaluated.result.value).toBe(2);
    } finally {
      cdp.close();
    }
    await endSessionAndCheck(fake, configuration, s);
  }, 90_000);

  it('hands real debugpy an attach it accepts (initialize → attach → configurationDone) and stops at a breakpoint', async () => {
    const s = await sample('python');
    const fake = fakeVscode({ settings: { squashctlPath: SQUASHCTL }, pickers: [thisMachine, processOf(s), firstItem] });
    const { configuration } = await debugSample(s, fake);
    expect(fake.picks[2]!.items[0]!.label).toBe('python');
    expect(configuration).toMatchObject({ type: 'debugpy', request: 'attach', connect: { host: '127.0.0.1', port: expect.any(Number) } });

    const { host, port } = configuration.connect as { host: string; port: number };
    const source = path.join(EXAMPLES, 'python-service/app.py');
    const hit = await attachOverDap(await connectDap(host, port, 10_000), resolveVariables(configuration, path.join(EXAMPLES, 'python-service')), {
      adapterID: 'debugpy',
      source,
      line: await markerLine(source),
      trigger: () => pay(s, 250),
    });
    expect(hit).toEqual({ reason: 'breakpoint', line: await markerLine(source), reply: { amount: 250, fee: 2 } });
    await endSessionAndCheck(fake, configuration, s);
  }, 90_000);

  it("hands Delve's headless server a dlv-dap attach it accepts and stops at a breakpoint", async () => {
    const s = await sample('go');
    const fake = fakeVscode({ settings: { squashctlPath: SQUASHCTL }, pickers: [thisMachine, processOf(s), firstItem] });
    const { configuration } = await debugSample(s, fake);
    expect(fake.picks[2]!.items[0]!.label).toBe('dlv');
    expect(configuration).toMatchObject({ type: 'go', request: 'attach', mode: 'remote', debugAdapter: 'dlv-dap', host: '127.0.0.1', port: expect.any(Number) });

    const source = path.join(EXAMPLES, 'go-service/main.go');
    const hit = await attachOverDap(
      await connectDap(configuration.host as string, configuration.port as number, 10_000),
      resolveVariables(configuration, path.join(EXAMPLES, 'go-service')),
      { adapterID: 'go', source, line: await markerLine(source), trigger: () => pay(s, 250) },
    );
    expect(hit).toEqual({ reason: 'breakpoint', line: await markerLine(source), reply: { amount: 250, fee: 2 } });
    await endSessionAndCheck(fake, configuration, s);
  }, 120_000);

  it("keeps the plank through VS Code's Restart (the session ends and starts again), and the restarted session reaches Delve", async () => {
    const s = await sample('go');
    const fake = fakeVscode({ settings: { squashctlPath: SQUASHCTL }, pickers: [thisMachine, processOf(s), firstItem] });
    const { configuration } = await debugSample(s, fake);
    const [plank] = await planks();
    expect(await fake.restartSession(configuration)).toEqual(['restarted']);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // past the grace
    expect(await planks()).toEqual([plank]);
    // What the restarted session does: connect and attach again.
    const source = path.join(EXAMPLES, 'go-service/main.go');
    const hit = await attachOverDap(
      await connectDap(configuration.host as string, configuration.port as number, 10_000),
      resolveVariables(configuration, path.join(EXAMPLES, 'go-service')),
      { adapterID: 'go', source, line: await markerLine(source), trigger: () => pay(s, 250) },
    );
    expect(hit.reason).toBe('breakpoint');
    await endSessionAndCheck(fake, configuration, s);
  }, 120_000);

  it('two sessions at once are held apart, and deactivating VS Code with both open lets go of both targets', async () => {
    const [a, b] = await Promise.all([sample('node'), sample('python')]);
    const fakeA = fakeVscode({ settings: { squashctlPath: SQUASHCTL }, pickers: [thisMachine, processOf(a), firstItem] });
    const fakeB = fakeVscode({ settings: { squashctlPath: SQUASHCTL }, pickers: [thisMachine, processOf(b), firstItem] });
    const extension = activate(fakeA);
    // One extension, two commands: fakeB's picks drive the second run through the same sessions.
    const [outA, outB] = (await Promise.all([fakeA.execute(DEBUG_POD_COMMAND), debugPod({ api: fakeB.api, squashctl: createSquashctlClient({ settings: { path: SQUASHCTL, kubeconfig: '', extraArgs: [] }, env: squashctlEnv() }), sessions: extension.sessions })])) as DebugPodOutcome[];
    expect([outA!.status, outB!.status]).toEqual(['started', 'started']);
    expect(extension.sessions.size).toBe(2);
    expect((await planks()).length).toBe(2);
    const disposing = Date.now();
    await extension.dispose();
    // The extension host gives deactivate at most 5 s before it exits (microsoft/vscode#114688).
    expect(Date.now() - disposing).toBeLessThan(5_000);
    expect(await planks()).toEqual([]);
    expect(await pay(a, 100)).toEqual({ amount: 100, fee: 1 });
    expect(await pay(b, 100)).toEqual({ amount: 100, fee: 1 });
  }, 90_000);

  it("shows squashctl's own message and hint when the attach fails, and leaves no plank", async () => {
    const s = await sample('node');
    const wrongDebugger = choose((i) => i.label === 'java');
    const fake = fakeVscode({ settings: { squashctlPath: SQUASHCTL }, pickers: [thisMachine, processOf(s), wrongDebugger] });
    activate(fake);
    const outcome = (await fake.execute(DEBUG_POD_COMMAND)) as DebugPodOutcome;

    const direct = await runCli(SQUASHCTL, ['--pid', String(s.pid), '--debugger', 'java', '--machine'], { env: { SQUASH_STATE_DIR: stateDir } });
    expect(direct.code).not.toBe(0);
    const [first, hintLine] = direct.stderr.trim().split('\n');
    const expected = `Squash: ${first!.replace(/^squashctl: /, '')}${hintLine ? ` (hint: ${hintLine.replace(/^\s+hint: /, '')})` : ''}`;
    expect(outcome).toEqual({ status: 'failed', message: expected });
    expect(fake.errors).toEqual([expected]);
    expect(fake.started).toEqual([]);
    expect(await planks()).toEqual([]);
    expect(await pay(s, 100)).toEqual({ amount: 100, fee: 1 });
  }, 60_000);

  it('says where squashctl was looked for when it is not there', async () => {
    const fake = fakeVscode({ settings: { squashctlPath: '/nonexistent/squashctl' }, pickers: [thisMachine] });
    activate(fake);
    expect(await fake.execute(DEBUG_POD_COMMAND)).toEqual({ status: 'failed', message: 'Squash: squashctl was not found at "/nonexistent/squashctl" (hint: install squashctl, or set squash.squashctlPath to its full path)' });
  });

  it('offers Open Settings when a setting is at fault (squashctl not found, a bad squash.extraArgs), and nothing else for other failures', async () => {
    const notFound = fakeVscode({ settings: { squashctlPath: '/nonexistent/squashctl' }, pickers: [thisMachine], errorAction: 'Open Settings' });
    activate(notFound);
    await notFound.execute(DEBUG_POD_COMMAND);
    const badArgs = fakeVscode({ settings: { extraArgs: '--ttl 30m' }, pickers: [], errorAction: 'Open Settings' });
    activate(badArgs);
    await badArgs.execute(DEBUG_POD_COMMAND);
    for (const fake of [notFound, badArgs]) {
      expect(fake.errorActions).toEqual([['Open Settings']]);
      expect(fake.executed).toEqual([['workbench.action.openSettings', 'squash.']]);
    }
    const other = fakeVscode({ settings: {}, pickers: [thisMachine], errorAction: 'Open Settings' });
    const failing: SquashctlClient = {
      localTargets: async () => {
        throw new SquashctlError('SQUASHCTL_FAILED', 'cannot read /proc');
      },
      kubeNamespaces: async () => [],
      kubePods: async () => [],
      kubeContainers: async () => [],
      attach: async () => {
        throw new Error('not reached');
      },
    };
    await debugPod({ api: other.api, squashctl: failing, sessions: createAttachSessions() });
    expect(other.errors).toEqual(['Squash: cannot read /proc']);
    expect(other.errorActions).toEqual([[]]);
  }, 30_000);

  it("shows a failure of several lines (a debugger's last words) as its first line, with the whole of it in the Squash output", async () => {
    const words = 'dlv attach 4242 failed:\ncould not attach to pid 4242: operation not permitted\nexit status 1';
    const dlvRefused: SquashctlClient = {
      localTargets: async () => [{ pid: 4242, command: 'payment', runtime: 'go', user: 'root' }],
      kubeNamespaces: async () => [],
      kubePods: async () => [],
      kubeContainers: async () => [],
      attach: async () => {
        throw new SquashctlError('SQUASHCTL_FAILED', words, { hint: 'run as root, or set kernel.yama.ptrace_scope to 0' });
      },
    };
    const fake = fakeVscode({ settings: {}, pickers: [thisMachine, firstItem, firstItem], errorAction: 'Show Details' });
    const outcome = await debugPod({ api: fake.api, squashctl: dlvRefused, sessions: createAttachSessions(), output: fake.api.window.createOutputChannel('Squash') });
    const whole = `Squash: ${words} (hint: run as root, or set kernel.yama.ptrace_scope to 0)`;
    expect(outcome).toEqual({ status: 'failed', message: whole });
    expect(fake.errors).toEqual(['Squash: dlv attach 4242 failed: … (hint: run as root, or set kernel.yama.ptrace_scope to 0)']);
    expect(fake.errorActions).toEqual([['Show Details']]);
    expect(fake.output.lines).toEqual([expect.stringMatching(/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] /)]);
    expect(fake.output.lines[0]!.replace(/^\[[^\]]+\] /, '')).toBe(whole);
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.output.shown).toBe(1);
  });

  it('says squash.squashctlPath names something that cannot be run (not executable, a directory), and how to fix it', async () => {
    const notExecutable = path.join(stateDir, 'squashctl');
    await writeFile(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
    for (const squashctlPath of [notExecutable, stateDir]) {
      const fake = fakeVscode({ settings: { squashctlPath }, pickers: [thisMachine] });
      activate(fake);
      expect(await fake.execute(DEBUG_POD_COMMAND)).toEqual({
        status: 'failed',
        message: `Squash: "${squashctlPath}" cannot be run (permission denied): it is not an executable file (hint: set squash.squashctlPath to the squashctl executable, or make it executable (chmod +x))`,
      });
    }
  });

  it('expands a leading ~ in squash.squashctlPath and squash.kubeconfig (no shell does it)', async () => {
    const home = path.join(stateDir, 'home');
    await mkdir(path.join(home, 'bin'), { recursive: true });
    await symlink(SQUASHCTL, path.join(home, 'bin/squashctl'));
    const fake = fakeVscode({ settings: { squashctlPath: '~/bin/squashctl', kubeconfig: '~/.kube/staging' }, pickers: [choose((i) => i.label === 'Kubernetes')] });
    extensions.push(activateWith(fake.api, fake.context, { env: { ...squashctlEnv(), HOME: home } }));
    // squashctl ran (found under ~) and was handed the expanded kubeconfig path, which it reports missing.
    expect(await fake.execute(DEBUG_POD_COMMAND)).toEqual({ status: 'failed', message: expect.stringContaining(`--kubeconfig: ${home}/.kube/staging does not exist`) });
  }, 30_000);

  it('resolves relative paths in squash.squashctlPath and squash.kubeconfig against the workspace, not the extension host', async () => {
    const folder = path.join(stateDir, 'project');
    await mkdir(path.join(folder, 'tools'), { recursive: true });
    await symlink(SQUASHCTL, path.join(folder, 'tools/squashctl'));
    const settings = { squashctlPath: './tools/squashctl', kubeconfig: 'kube/staging' };
    const single = fakeVscode({ settings, pickers: [choose((i) => i.label === 'Kubernetes')], folders: [{ uri: { scheme: 'file', fsPath: folder }, name: 'project', index: 0 }] });
    activate(single);
    // squashctl ran (found in the folder) and was handed the kubeconfig under the folder, which it reports missing.
    expect(await single.execute(DEBUG_POD_COMMAND)).toEqual({ status: 'failed', message: expect.stringContaining(`--kubeconfig: ${folder}/kube/staging does not exist`) });
    // A saved multi-root workspace: against its .code-workspace file's folder.
    const multi = fakeVscode({ settings, pickers: [choose((i) => i.label === 'Kubernetes')], folders: [EXAMPLES_FOLDER, { uri: { scheme: 'file', fsPath: '/srv' }, name: 'srv', index: 1 }], workspaceFile: path.join(folder, 'all.code-workspace') });
    activate(multi);
    expect(await multi.execute(DEBUG_POD_COMMAND)).toEqual({ status: 'failed', message: expect.stringContaining(`--kubeconfig: ${folder}/kube/staging does not exist`) });
    // No folder: nothing to resolve against, said before anything runs.
    const none = fakeVscode({ settings, pickers: [], folders: [] });
    activate(none);
    expect(await none.execute(DEBUG_POD_COMMAND)).toEqual({
      status: 'failed',
      message: 'Squash: squash.squashctlPath: "./tools/squashctl" is a relative path, and no single workspace folder is open to resolve it against (hint: set squash.squashctlPath to an absolute path (a leading ~/ is expanded))',
    });
    expect(none.picks).toEqual([]);
  }, 30_000);

  it("lets go of the target when VS Code does not start the session, and does not blame a missing extension for the built-in node debugger", async () => {
    const s = await sample('node');
    const fake = fakeVscode({ settings: { squashctlPath: SQUASHCTL }, pickers: [thisMachine, processOf(s), firstItem], startDebugging: false });
    activate(fake);
    const outcome = (await fake.execute(DEBUG_POD_COMMAND)) as DebugPodOutcome;
    expect(outcome).toEqual({ status: 'failed', message: `Squash: VS Code did not start the "node" debug session (VS Code's own message says why); the debugger was let go` });
    expect(await planks()).toEqual([]);
    expect(await pay(s, 100)).toEqual({ amount: 100, fee: 1 });
  }, 60_000);

  it('says which extension to install when the debug type has none, before any plank attaches', async () => {
    const s = await sample('python');
    const fake = fakeVscode({ settings: { squashctlPath: SQUASHCTL }, pickers: [thisMachine, processOf(s), firstItem], debugTypes: ['go', 'node', 'cppdbg', 'java'] });
    activate(fake);
    const message = 'Squash: VS Code has no "debugpy" debugger: the Python Debugger extension (ms-python.debugpy) is not installed (hint: install ms-python.debugpy from the Extensions view, then run Squash: Debug Pod again)';
    expect(await fake.execute(DEBUG_POD_COMMAND)).toEqual({ status: 'failed', message });
    expect(fake.errors).toEqual([message]);
    expect(fake.progress).toEqual([]);
    expect((await readdir(stateDir)).filter((f) => f.startsWith('plank-'))).toEqual([]);
  }, 60_000);

  it('cancelling the progress notification interrupts squashctl and starts nothing', async () => {
    const s = await sample('python');
    const fake = fakeVscode({ settings: { squashctlPath: SQUASHCTL }, pickers: [thisMachine, processOf(s), firstItem], cancelProgress: true });
    activate(fake);
    expect(await fake.execute(DEBUG_POD_COMMAND)).toEqual({ status: 'cancelled' });
    expect(fake.started).toEqual([]);
    expect(await planks()).toEqual([]);
    expect(await pay(s, 100)).toEqual({ amount: 100, fee: 1 });
  }, 60_000);
});

describe('Squash: Debug Pod and the workspace folders (real squashctl)', () => {
  it('with no folder open, hands VS Code a configuration it can resolve (no ${workspaceFolder}) and the session starts', async () => {
    const s = await sample('node');
    const fake = fakeVscode({ settings: { squashctlPath: SQUASHCTL }, pickers: [thisMachine, processOf(s), firstItem], folders: [] });
    activate(fake);
    const outcome = (await fake.execute(DEBUG_POD_COMMAND)) as DebugPodOutcome;
    expect(fake.errors).toEqual([]);
    expect(outcome.status).toBe('started');
    const [started] = fake.started;
    expect(started!.folder).toBeUndefined();
    expect(JSON.stringify(started!.configuration)).not.toContain('${workspaceFolder}');
    expect(started!.configuration).toMatchObject({ type: 'node', request: 'attach', address: '127.0.0.1', port: expect.any(Number) });
    await endSessionAndCheck(fake, started!.configuration, s);
  }, 60_000);

  it('in a multi-root workspace asks which folder the session belongs to; Escape there attaches nothing', async () => {
    const s = await sample('node');
    const nodeService: WorkspaceFolder = { uri: { scheme: 'file', fsPath: path.join(EXAMPLES, 'node-service') }, name: 'node-service', index: 1 };
    const folders: WorkspaceFolder[] = [EXAMPLES_FOLDER, nodeService];
    const escape: Picker = () => undefined;
    const cancelled = fakeVscode({ settings: { squashctlPath: SQUASHCTL }, pickers: [thisMachine, processOf(s), firstItem, escape], folders });
    activate(cancelled);
    expect(await cancelled.execute(DEBUG_POD_COMMAND)).toEqual({ status: 'cancelled' });
    expect(cancelled.picks[3]!.items.map((i) => i.label)).toEqual(['examples', 'node-service']);
    expect(await planks()).toEqual([]);

    const fake = fakeVscode({ settings: { squashctlPath: SQUASHCTL }, pickers: [thisMachine, processOf(s), firstItem, choose((i) => i.label === 'node-service')], folders });
    activate(fake);
    const outcome = (await fake.execute(DEBUG_POD_COMMAND)) as DebugPodOutcome;
    expect(outcome.status).toBe('started');
    expect(fake.started.map((x) => x.folder)).toEqual([nodeService]);
    await endSessionAndCheck(fake, fake.started[0]!.configuration, s);
  }, 60_000);

  it("with no folder open, a cppdbg configuration's cwd is the program's directory (cpptools needs one)", async () => {
    const squashctl: SquashctlClient = {
      localTargets: async () => [{ pid: 7, command: './server', runtime: 'c', user: 'root' }],
      kubeNamespaces: async () => [],
      kubePods: async () => [],
      kubeContainers: async () => [],
      attach: async () => ({
        output: {
          version: 1,
          endpoint: { runtime: 'c', debugger: 'gdb', protocol: 'gdb-remote', host: '127.0.0.1', port: 40000, pid: 7 },
          vscode: { name: 'Squash: c pid 7', type: 'cppdbg', request: 'launch', program: '/srv/app/server', cwd: '${workspaceFolder}', MIMode: 'gdb', miDebuggerServerAddress: '127.0.0.1:40000' },
        },
        release: async () => 'ended',
      }),
    };
    const fake = fakeVscode({ settings: {}, pickers: [thisMachine, firstItem, firstItem], folders: [] });
    const outcome = await debugPod({ api: fake.api, squashctl, sessions: createAttachSessions() });
    expect(outcome.status).toBe('started');
    expect(fake.started[0]!.configuration).toMatchObject({ type: 'cppdbg', program: '/srv/app/server', cwd: '/srv/app', miDebuggerServerAddress: '127.0.0.1:40000' });
  });
});

describe('Squash: Debug Pod on Kubernetes (flow logic; squashctl stand-in)', () => {
  it('picks namespace → pod → container → debugger, passes them to squashctl, and ending the session releases the port-forward', async () => {
    const requests: AttachRequest[] = [];
    let released = 0;
    const squashctl: SquashctlClient = {
      localTargets: async () => [],
      kubeNamespaces: async () => ['default', 'kube-system'],
      kubePods: async (ns) => (ns === 'default' ? ['web-7d9f', 'payment-5c8b'] : []),
      kubeContainers: async () => [{ name: 'payment', debugger: 'dlv' }, { name: 'envoy', debugger: 'gdb' }],
      async attach(request): Promise<Attachment> {
        requests.push(request);
        return {
          output: { version: 1, endpoint: { runtime: 'go', debugger: 'dlv', protocol: 'dlv', host: '127.0.0.1', port: 40000, pid: 7 }, vscode: { name: 'Squash: go pid 7', type: 'go', request: 'attach', host: '127.0.0.1', port: 40000 } },
          release: async () => (released++, 'ended'),
        };
      },
    };
    const fake = fakeVscode({
      settings: {},
      pickers: [choose((i) => i.label === 'Kubernetes'), choose((i) => i.label === 'default'), choose((i) => i.label === 'payment-5c8b'), choose((i) => i.label === 'payment'), firstItem],
    });
    const sessions = createAttachSessions({ restartGraceMs: 100 });
    const outcome = await debugPod({ api: fake.api, squashctl, sessions });
    expect(outcome.status).toBe('started');
    expect(fake.picks.map((p) => p.items.map((i) => i.label))).toEqual([
      ['This machine', 'Kubernetes'],
      ['default', 'kube-system'],
      ['web-7d9f', 'payment-5c8b'],
      ['payment', 'envoy'],
      ['detect', 'dlv', 'nodejs', 'python', 'java', 'gdb'],
    ]);
    expect(requests).toEqual([{ target: { platform: 'kube', namespace: 'default', pod: 'payment-5c8b', container: 'payment' } }]);
    expect(fake.progress[0]!.title).toBe('Squash: attaching a debugger to default/payment-5c8b/payment');
    const started = fake.started[0]!.configuration;
    expect(sessions.size).toBe(1);
    expect(await sessions.sessionEnded({ id: 'x', name: started.name, configuration: started })).toBe('ended');
    expect(released).toBe(1);
    expect(sessions.sessionEnded({ id: 'x', name: started.name, configuration: started })).toBeUndefined();
  });

  it('"detect" on Kubernetes: when the detected runtime\'s debug extension is missing, lets go of the target and says which to install', async () => {
    let released = 0;
    const squashctl: SquashctlClient = {
      localTargets: async () => [],
      kubeNamespaces: async () => ['default'],
      kubePods: async () => ['payment-5c8b'],
      kubeContainers: async () => [{ name: 'payment', debugger: 'dlv' }],
      attach: async () => ({
        output: { version: 1, endpoint: { runtime: 'go', debugger: 'dlv', protocol: 'dlv', host: '127.0.0.1', port: 40000, pid: 7 }, vscode: { name: 'Squash: go pid 7', type: 'go', request: 'attach', host: '127.0.0.1', port: 40000 } },
        release: async () => (released++, 'ended'),
      }),
    };
    const fake = fakeVscode({ settings: {}, pickers: [choose((i) => i.label === 'Kubernetes'), firstItem, firstItem, choose((i) => i.label === 'detect')], debugTypes: ['node'] });
    const outcome = await debugPod({ api: fake.api, squashctl, sessions: createAttachSessions() });
    expect(outcome).toEqual({ status: 'failed', message: expect.stringContaining('the Go extension (golang.go) is not installed') });
    expect(released).toBe(1);
    expect(fake.started).toEqual([]);
  });

  it('gdb on Kubernetes asks for the local binary gdb loads symbols from (also when "detect" stands for gdb), and Escape there attaches nothing', async () => {
    const requests: AttachRequest[] = [];
    const squashctl: SquashctlClient = {
      localTargets: async () => [],
      kubeNamespaces: async () => ['default'],
      kubePods: async () => ['web-1'],
      kubeContainers: async () => [{ name: 'payment', debugger: 'dlv' }, { name: 'envoy', debugger: 'gdb' }],
      async attach(request): Promise<Attachment> {
        requests.push(request);
        return {
          output: { version: 1, endpoint: { runtime: 'c', debugger: 'gdb', protocol: 'gdb-remote', host: '127.0.0.1', port: 40001, pid: 9 }, vscode: { name: 'Squash: c pid 9', type: 'cppdbg', request: 'launch', program: '/src/envoy' } },
          release: async () => 'ended',
        };
      },
    };
    const toEnvoy = [choose((i) => i.label === 'Kubernetes'), firstItem, firstItem, choose((i) => i.label === 'envoy')];
    const title = 'Local copy of the program container envoy runs, built with debug info (-g): gdb loads its symbols';
    for (const debuggerPick of ['gdb', 'detect']) {
      const fake = fakeVscode({ settings: {}, pickers: [...toEnvoy, choose((i) => i.label === debuggerPick)], openDialog: '/src/envoy' });
      expect((await debugPod({ api: fake.api, squashctl, sessions: createAttachSessions() })).status).toBe('started');
      expect(fake.picks[3]!.items.map((i) => i.description)).toEqual(['debugger: dlv', 'debugger: gdb']);
      expect(fake.dialogs).toEqual([title]);
    }
    expect(requests).toEqual([
      { target: { platform: 'kube', namespace: 'default', pod: 'web-1', container: 'envoy' }, debugger: 'gdb', program: '/src/envoy' },
      { target: { platform: 'kube', namespace: 'default', pod: 'web-1', container: 'envoy' }, program: '/src/envoy' },
    ]);
    // After squash.extraArgs: the program picked for this attach is the one squashctl uses (the last --program).
    expect(attachArgs(requests[0]!, { path: 'squashctl', kubeconfig: '', extraArgs: ['--program', '/elsewhere'] })).toEqual([
      '--platform', 'kube', '--namespace', 'default', '--pod', 'web-1', '--container', 'envoy', '--debugger', 'gdb', '--program', '/elsewhere', '--program', '/src/envoy', '--machine',
    ]);
    // Escape at the file dialog: nothing attached.
    const escaped = fakeVscode({ settings: {}, pickers: [...toEnvoy, choose((i) => i.label === 'gdb')] });
    expect(await debugPod({ api: escaped.api, squashctl, sessions: createAttachSessions() })).toEqual({ status: 'cancelled' });
    expect(requests).toHaveLength(2);
    // Not asked for the dlv container.
    const dlv = fakeVscode({ settings: {}, pickers: [choose((i) => i.label === 'Kubernetes'), firstItem, firstItem, choose((i) => i.label === 'payment'), choose((i) => i.label === 'detect')] });
    expect((await debugPod({ api: dlv.api, squashctl, sessions: createAttachSessions() })).status).toBe('started');
    expect(dlv.dialogs).toEqual([]);
  });

  it('runs the gdb squash.gdbPath names, else squashctl\'s when it is there, else gdb on PATH; with none, says so before attaching', async () => {
    const requests: AttachRequest[] = [];
    let released = 0;
    const proposing = (miDebuggerPath: string): SquashctlClient => ({
      localTargets: async () => [{ pid: 9, command: 'server', runtime: 'c', user: 'root' }],
      kubeNamespaces: async () => [],
      kubePods: async () => [],
      kubeContainers: async () => [],
      async attach(request): Promise<Attachment> {
        requests.push(request);
        return {
          output: { version: 1, endpoint: { runtime: 'c', debugger: 'gdb', protocol: 'gdb-remote', host: '127.0.0.1', port: 40001, pid: 9 }, vscode: { name: 'Squash: c pid 9', type: 'cppdbg', request: 'launch', program: '/srv/server', miDebuggerPath } },
          release: async () => (released++, 'ended'),
        };
      },
    });
    const binDir = path.join(stateDir, 'gdb-bin');
    await mkdir(binDir, { recursive: true });
    await writeFile(path.join(binDir, 'gdb-multiarch'), '#!/bin/sh\n', { mode: 0o755 });
    const attachGdb = async (client: SquashctlClient, gdbPath: string, env: NodeJS.ProcessEnv) => {
      const fake = fakeVscode({ settings: {}, pickers: [thisMachine, firstItem, choose((i) => i.label === 'gdb')] });
      const outcome = await debugPod({ api: fake.api, squashctl: client, sessions: createAttachSessions(), gdbPath, env });
      return outcome.status === 'started' ? outcome.configuration.miDebuggerPath : outcome;
    };
    // squashctl's /usr/bin/gdb, when this machine has it; else gdb on PATH.
    expect(await attachGdb(proposing('/usr/bin/gdb'), '', { PATH: '' })).toBe('/usr/bin/gdb');
    await writeFile(path.join(binDir, 'gdb'), '#!/bin/sh\n', { mode: 0o755 });
    expect(await attachGdb(proposing('/nonexistent/gdb'), '', { PATH: binDir })).toBe(path.join(binDir, 'gdb'));
    // squash.gdbPath: a name on PATH or a path.
    expect(await attachGdb(proposing('/usr/bin/gdb'), 'gdb-multiarch', { PATH: `/nonexistent:${binDir}` })).toBe(path.join(binDir, 'gdb-multiarch'));
    expect(await attachGdb(proposing('/usr/bin/gdb'), path.join(binDir, 'gdb-multiarch'), { PATH: '' })).toBe(path.join(binDir, 'gdb-multiarch'));
    expect(requests).toHaveLength(4);
    // None to run: said before any attach (the pick was gdb), offering the settings.
    expect(await attachGdb(proposing('/nonexistent/gdb'), 'gdb-nowhere', { PATH: binDir })).toEqual({
      status: 'failed',
      message: 'Squash: squash.gdbPath: "gdb-nowhere" was not found on PATH (hint: set squash.gdbPath to the gdb cpptools should run, or leave it empty to use gdb from PATH)',
    });
    expect(requests).toHaveLength(4);
    // "detect" that turned out to be gdb, and no gdb here: the target is let go.
    const fake = fakeVscode({ settings: {}, pickers: [thisMachine, firstItem, firstItem] });
    const unknownRuntime: SquashctlClient = { ...proposing('/nonexistent/gdb'), localTargets: async () => [{ pid: 9, command: 'server', user: 'root' }] };
    const outcome = await debugPod({ api: fake.api, squashctl: unknownRuntime, sessions: createAttachSessions(), env: { PATH: '/nonexistent' } });
    expect(fake.picks[2]!.items[0]!.label).toBe('detect');
    expect(outcome).toEqual({
      status: 'failed',
      message: 'Squash: gdb is not installed on this machine (cpptools drives gdbserver through a local gdb; looked for /nonexistent/gdb and gdb on PATH) (hint: install gdb, or set squash.gdbPath to it)',
    });
    expect(released).toBe(1);
    expect(fake.started).toEqual([]);
  });

  it('opens the namespace pick while squashctl is still listing (an API server that does not answer), and Escape there stops squashctl', async () => {
    // An API server that accepts connections and never answers: squashctl waits on it (no listing timeout).
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const kubeconfig = path.join(stateDir, 'silent-kubeconfig');
    await writeFile(kubeconfig, standInKubeconfig(`https://127.0.0.1:${(silent.address() as AddressInfo).port}`));
    try {
      // Escape once squashctl reached the silent server, with the pick open and busy.
      const listing = new Promise<void>((resolve) => silent.once('connection', () => resolve()));
      const fake = fakeVscode({ settings: { squashctlPath: SQUASHCTL, kubeconfig }, pickers: [choose((i) => i.label === 'Kubernetes'), escapeWhileLoading], escapeAfter: listing });
      activate(fake);
      expect(await fake.execute(DEBUG_POD_COMMAND)).toEqual({ status: 'cancelled' });
      expect(fake.picks.map((p) => p.options?.placeHolder)).toEqual(['Where does the process run?', 'Namespace']);
      expect(fake.errors).toEqual([]);
      // Escape ended squashctl.
      await vi.waitFor(async () => expect(await squashctlRunsWith(kubeconfig)).toEqual([]), { timeout: 5_000 });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 30_000);

  it('Cancel pressed just as squashctl printed the endpoint lets go of the target instead of starting the session', async () => {
    let released = 0;
    const squashctl: SquashctlClient = {
      localTargets: async () => [{ pid: 7, command: 'node server.js', runtime: 'node', user: 'root' }],
      kubeNamespaces: async () => [],
      kubePods: async () => [],
      kubeContainers: async () => [],
      // squashctl had already printed when the cancel arrived: the attach resolves, signal aborted or not.
      attach: async () => ({
        output: { version: 1, endpoint: { runtime: 'node', debugger: 'nodejs', protocol: 'cdp', host: '127.0.0.1', port: 40000, pid: 7 }, vscode: { name: 'Squash: node pid 7', type: 'node', request: 'attach', address: '127.0.0.1', port: 40000 } },
        release: async () => (released++, 'ended'),
      }),
    };
    const fake = fakeVscode({ settings: {}, pickers: [thisMachine, firstItem, firstItem], cancelProgress: true });
    expect(await debugPod({ api: fake.api, squashctl, sessions: createAttachSessions() })).toEqual({ status: 'cancelled' });
    expect(released).toBe(1);
    expect(fake.started).toEqual([]);
  });

  it('squash.context picks the kubeconfig context for the listings and the attach alike (not only the attach)', async () => {
    const api = await startPodApiStandIn({ nodePath: process.execPath, plankMain: path.join(ROOT, 'dist/cli/plank/main.js') });
    try {
      api.addNamespace('team-a');
      // The current context is another cluster (nothing listens there); squash.context names the stand-in's.
      const kubeconfig = path.join(stateDir, 'two-contexts');
      await writeFile(
        kubeconfig,
        standInKubeconfig(api.url)
          .replace('clusters:\n', 'clusters:\n- name: elsewhere\n  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}\n')
          .replace('contexts:\n', 'contexts:\n- name: elsewhere\n  context: {cluster: elsewhere, user: loop}\n')
          .replace('current-context: stand-in', 'current-context: elsewhere'),
      );
      const fake = fakeVscode({ settings: { squashctlPath: SQUASHCTL, kubeconfig, context: 'stand-in' }, pickers: [choose((i) => i.label === 'Kubernetes'), () => undefined] });
      activate(fake);
      expect(await fake.execute(DEBUG_POD_COMMAND)).toEqual({ status: 'cancelled' });
      expect(fake.errors).toEqual([]);
      expect(fake.picks[1]!.items.map((i) => i.label)).toEqual(['team-a']);
      expect(attachArgs({ target: { platform: 'kube', namespace: 'team-a', pod: 'web-1', container: 'web' } }, { path: SQUASHCTL, kubeconfig, context: 'stand-in', extraArgs: [] })).toEqual([
        '--platform', 'kube', '--kubeconfig', kubeconfig, '--context', 'stand-in', '--namespace', 'team-a', '--pod', 'web-1', '--container', 'web', '--machine',
      ]);
    } finally {
      await api.close();
    }
  }, 30_000);

  it('with the real squashctl and the Kubernetes API stand-in: lists namespaces, pods and containers, attaches through a plank pod, and ending the session deletes it', async () => {
    const api = await startPodApiStandIn({ nodePath: process.execPath, plankMain: path.join(ROOT, 'dist/cli/plank/main.js') });
    const dir = await mkdtemp(path.join(tmpdir(), 'squash-vscode-kube-'));
    const { cmd, args, cwd } = sampleCommand('node', undefined);
    const sample = spawn(cmd, ['--inspect-port=0', ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      for await (const line of createInterface({ input: sample.stdout! })) if (/^listening on 127\.0\.0\.1:\d+$/.test(line)) break;
      const containerId = 'c0ffee'.padEnd(64, '0');
      for (const ns of ['default', 'squash-debugger', 'kube-system']) api.addNamespace(ns);
      api.addPod({
        metadata: { name: 'web-1', namespace: 'default' },
        spec: { nodeName: 'node-a', containers: [{ name: 'web', image: 'docker.io/library/node:20', command: ['node', 'server.js'] }, { name: 'envoy', image: 'envoyproxy/envoy:v1.30' }] },
        status: { phase: 'Running', containerStatuses: [{ name: 'web', image: '', imageID: '', ready: true, restartCount: 0, containerID: `containerd://${containerId}`, state: { running: {} } }] },
      });
      api.addPod({ metadata: { name: 'web-0', namespace: 'default' }, spec: { containers: [{ name: 'web', image: 'node:20' }] }, status: { phase: 'Pending' } });
      api.containerPids.set(containerId, sample.pid!);
      const kubeconfig = path.join(dir, 'kubeconfig');
      await writeFile(kubeconfig, standInKubeconfig(api.url));

      const fake = fakeVscode({
        settings: { squashctlPath: SQUASHCTL, kubeconfig },
        pickers: [choose((i) => i.label === 'Kubernetes'), choose((i) => i.label === 'default'), choose((i) => i.label === 'web-1'), choose((i) => i.label === 'web'), firstItem],
      });
      activate(fake);
      const outcome = (await fake.execute(DEBUG_POD_COMMAND)) as DebugPodOutcome;
      expect(outcome.status).toBe('started');
      expect(fake.picks.slice(1, 4).map((p) => p.items.map((i) => i.label))).toEqual([['default'], ['web-1'], ['web', 'envoy']]);
      const started = fake.started[0]!.configuration;
      expect(started).toMatchObject({ type: 'node', request: 'attach', address: '127.0.0.1' });
      // The CDP websocket URL squashctl found through the port-forward reaches the real inspector.
      const list = (await (await fetch(`http://127.0.0.1:${String(started.port)}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
      const cdp = await connectCdp(list[0]!.webSocketDebuggerUrl);
      expect((await cdp.send<{ result: { value: number } }>('Runtime.evaluate', { expression: '1+1' })).result.value).toBe(2);
      cdp.close();

      const deleted = new Promise((resolve) => api.events.once('pod-deleted', resolve));
      await fake.endSession(started);
      await deleted;
      expect(api.pods('squash-debugger')).toEqual([]);
      expect(sample.exitCode).toBeNull();
    } finally {
      sample.kill('SIGKILL');
      await api.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('squash.extraArgs', () => {
  const hint = ' (hint: edit squash.extraArgs in the settings, e.g. ["--ttl", "30m"])';
  it.each([
    [['--ttl 30m'], 'Squash: squash.extraArgs: "--ttl 30m" is one argument; write each as its own item: "--ttl", "30m"'],
    ['--ttl 30m', 'Squash: squash.extraArgs: "--ttl 30m" is not an array of strings'],
    [['--ttl', 30], 'Squash: squash.extraArgs: ["--ttl",30] is not an array of strings'],
    [['--pid', '1'], 'Squash: squash.extraArgs: --pid is set by Squash: Debug Pod itself (from what you pick, or another setting); remove it'],
    [['--debugger=gdb'], 'Squash: squash.extraArgs: --debugger is set by Squash: Debug Pod itself (from what you pick, or another setting); remove it'],
    [['--context', 'prod'], 'Squash: squash.extraArgs: --context is set by Squash: Debug Pod itself (from what you pick, or another setting); remove it'],
    [['--help'], 'Squash: squash.extraArgs: --help is set by Squash: Debug Pod itself (from what you pick, or another setting); remove it'],
  ])('%j is refused before any quick pick, naming the setting and the fix', async (extraArgs, message) => {
    const fake = fakeVscode({ settings: { extraArgs }, pickers: [] });
    activate(fake);
    expect(await fake.execute(DEBUG_POD_COMMAND)).toEqual({ status: 'failed', message: message + hint });
    expect(fake.errors).toEqual([message + hint]);
    expect(fake.picks).toEqual([]);
  });

  it('passes each item as one argument, untouched by any shell (quotes, $(), ;, spaces in a value)', () => {
    const extraArgs = ['--ttl', '30m', '--program=/my dir/$(touch x); rm -rf "y"'];
    expect(checkExtraArgs(extraArgs)).toEqual(extraArgs);
    expect(attachArgs({ target: { platform: 'local', pid: 7 }, debugger: 'gdb' }, { path: 'squashctl', kubeconfig: '', extraArgs })).toEqual([
      '--pid', '7', '--debugger', 'gdb', '--ttl', '30m', '--program=/my dir/$(touch x); rm -rf "y"', '--machine',
    ]);
  });
});

describe('the packaged extension', () => {
  it('builds a .vsix whose manifest contributes "Squash: Debug Pod" and whose bundle activates under require', async () => {
    const vsix = path.join(EXTENSION_DIR, 'squash-vscode.vsix');
    await rm(vsix, { force: true });
    const npm = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('npm', ['run', 'package', '-w', 'vscode-extension'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.once('close', (code) => resolve({ code, output }));
    });
    expect(npm.code, npm.output).toBe(0);

    const dir = await mkdtemp(path.join(tmpdir(), 'squash-vsix-'));
    try {
      // A .vsix is a zip; Python's zipfile reads it without extra tools.
      await run('/usr/bin/python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', vsix, dir]);
      const manifest = JSON.parse(await readFile(path.join(dir, 'extension/package.json'), 'utf8')) as {
        main: string;
        engines: { vscode: string };
        contributes: { commands: { command: string; title: string; category: string }[]; configuration: { properties: Record<string, unknown> } };
      };
      expect(manifest.contributes.commands).toEqual([{ command: 'squash.debugPod', title: 'Debug Pod', category: 'Squash' }]);
      expect(Object.keys(manifest.contributes.configuration.properties).sort()).toEqual(['squash.context', 'squash.extraArgs', 'squash.gdbPath', 'squash.kubeconfig', 'squash.squashctlPath']);
      expect(manifest.engines.vscode).toBe('^1.90.0');

      // Load the bundle as VS Code's extension host does (require), with a minimal `vscode` module on the path.
      const fakeModule = path.join(dir, 'stub/node_modules/vscode');
      await mkdir(fakeModule, { recursive: true });
      await writeFile(
        path.join(fakeModule, 'index.js'),
        'const registered = [];\nmodule.exports = { registered, ProgressLocation: { Notification: 15 }, window: { createOutputChannel: (name) => ({ name, appendLine() {}, show() {}, dispose() {} }) }, workspace: { getConfiguration: () => ({ get: (k, d) => d }) },\n' +
          '  commands: { registerCommand: (id) => (registered.push(id), { dispose() {} }) }, debug: { onDidStartDebugSession: () => ({ dispose() {} }), onDidTerminateDebugSession: () => ({ dispose() {} }) } };\n',
      );
      const main = path.join(dir, 'extension', manifest.main);
      const script = `const ext = require(${JSON.stringify(main)}); ext.activate({ subscriptions: [] }); console.log(JSON.stringify(require('vscode').registered));`;
      const { stdout } = await run(process.execPath, ['-e', script], { env: { ...process.env, NODE_PATH: path.join(dir, 'stub/node_modules') } });
      expect(JSON.parse(stdout)).toEqual(['squash.debugPod']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

// ---------------------------------------------------------------------------------- a DAP client's attach

interface DapSpot {
  adapterID: string;
  source: string;
  line: number;
  trigger: () => Promise<unknown>;
}

/**
 * What VS Code does with an attach configuration once connected to the adapter: initialize, `attach` with the
 * configuration as its arguments, breakpoints once `initialized` arrives, configurationDone; then the trigger
 * must stop at the breakpoint. Resumes, lets the request finish and disconnects leaving the debuggee running.
 */
async function attachOverDap(dap: DapConnection, configuration: DebugConfiguration, spot: DapSpot): Promise<{ reason: string; line: number; reply: unknown }> {
  const ms = 20_000;
  try {
    await dap.request('initialize', { clientID: 'vscode', adapterID: spot.adapterID, pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true, supportsRunInTerminalRequest: false }, ms);
    // debugpy answers `attach` only after configurationDone, Delve before `initialized`: wait for both independently.
    const initialized = dap.nextEvent('initialized', undefined, ms);
    const attached = dap.request('attach', configuration, ms);
    attached.catch(() => undefined);
    await initialized;
    const { breakpoints } = await dap.request<{ breakpoints: { verified: boolean }[] }>('setBreakpoints', { source: { path: spot.source }, breakpoints: [{ line: spot.line }] }, ms);
    expect(breakpoints.map((b) => b.verified)).toEqual([true]);
    // A headless Delve started with --continue may have resumed the target by now, and then refuses
    // configurationDone with "debuggee is running": the state the request asks for, so the session goes on
    // (VS Code does the same). Any other refusal fails the test.
    await dap.request('configurationDone', undefined, ms).catch((err: unknown) => {
      if (spot.adapterID !== 'go' || !/debuggee is running/.test((err as Error).message)) throw err;
    });
    await attached;

    const stoppedEvent = dap.nextEvent<{ reason: string; threadId: number }>('stopped', undefined, ms);
    const reply = spot.trigger();
    reply.catch(() => undefined);
    const stopped = await stoppedEvent;
    const { stackFrames } = await dap.request<{ stackFrames: { line: number }[] }>('stackTrace', { threadId: stopped.threadId, startFrame: 0, levels: 1 }, ms);
    await dap.request('setBreakpoints', { source: { path: spot.source }, breakpoints: [] }, ms);
    await dap.request('continue', { threadId: stopped.threadId }, ms);
    const answer = await reply;
    await dap.request('disconnect', { restart: false, terminateDebuggee: false }, ms);
    return { reason: stopped.reason, line: stackFrames[0]?.line ?? -1, reply: answer };
  } finally {
    dap.close();
  }
}
