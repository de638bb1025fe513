// plank and squashctl end to end: the built CLIs (run `npm run build` first) against real sample services
// and real debuggers, as a user runs them — including squashctl's interactive picker through a real
// pseudo-terminal (util-linux `script`). Each test gets its own SQUASH_STATE_DIR; every process started
// here is ended in afterEach.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectCdp } from '../../src/squash/debuggers/cdp-client.js';
import { connectDlvRpc } from '../../src/squash/debuggers/dlv-rpc-client.js';
import { connectGdbRemote } from '../../src/squash/debuggers/gdb-remote-client.js';
import { parseJsonc } from '../../src/squash/ide/index.js';
import type { PlankReadyEvent, PlankErrorEvent } from '../../src/squash/plank/index.js';
import type { PlankRecord } from '../../src/squash/squashctl/index.js';
import { canRunContainers, startRuncContainer, type RuncContainer } from '../../src/squash/targets/runc-container.test-helper.js';
import { ROOT, runCli, type CliResult } from './harness.js';
import { startSample, useBuiltSamples, type BuiltSamples, type RunningSample } from './sample-targets.js';

const PLANK = path.join(ROOT, 'dist/cli/plank/main.js');
const SQUASHCTL = path.join(ROOT, 'dist/cli/squashctl/main.js');

let stateDir: string;
const samples: RunningSample[] = [];
const processes: ChildProcess[] = [];
const env = (): NodeJS.ProcessEnv => ({ SQUASH_STATE_DIR: stateDir });

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'squash-state-'));
});
afterEach(async () => {
  // Planks squashctl started (detached) are ended the way a user would; then everything we spawned.
  if (existsSync(SQUASHCTL)) await runCli(SQUASHCTL, ['cleanup', '--grace', '5s'], { env: env() });
  for (const p of processes.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await Promise.all(samples.splice(0).map((s) => s.stop()));
  await rm(stateDir, { recursive: true, force: true });
});

async function sample(runtime: 'node' | 'python' | 'go', built?: BuiltSamples): Promise<RunningSample> {
  const s = await startSample(runtime, built);
  samples.push(s);
  return s;
}

interface PlankRun {
  child: ChildProcess;
  /** The first (and only) stdout line, parsed. */
  event: Promise<PlankReadyEvent | PlankErrorEvent>;
  exit: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

function plank(args: string[], env: NodeJS.ProcessEnv = process.env): PlankRun {
  const child = spawn(process.execPath, [PLANK, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  processes.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const event = new Promise<PlankReadyEvent | PlankErrorEvent>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      stdout += `${line}\n`;
      if (stdout === `${line}\n`) resolve(JSON.parse(line) as PlankReadyEvent | PlankErrorEvent);
    });
    void exit.then(() => reject(new Error(`plank exited without a line; stderr:\n${stderr}`)));
  });
  return { child, event, exit, stdout: () => stdout, stderr: () => stderr };
}

async function ready(run: PlankRun): Promise<PlankReadyEvent> {
  const event = await run.event;
  if (event.event !== 'ready') throw new Error(`plank failed: ${JSON.stringify(event)}\n${run.stderr()}`);
  return event;
}

async function tracerPid(pid: number): Promise<number> {
  return Number(/^TracerPid:\s+(\d+)$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]);
}

async function serves(s: RunningSample): Promise<boolean> {
  const res = await fetch(`${s.url}/`, { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status > 0;
}

function logLines(stderr: string): Array<Record<string, unknown>> {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

/** Running, and not a zombie: a detached plank's zombie stays until its new parent reaps it. */
function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('plank', () => {
  it('attaches to a Node service, relays CDP on its own port, and on SIGTERM detaches leaving the service serving', async () => {
    const s = await sample('node');
    const run = plank(['--pid', String(s.pid)]);
    const r = await ready(run);
    expect(r.endpoint).toMatchObject({ runtime: 'node', debugger: 'nodejs', protocol: 'cdp', host: '127.0.0.1', pid: s.pid });
    expect(r.plank.pid).toBe(run.child.pid);
    expect(r.plank.ttlMs).toBe(3_600_000);
    expect(Date.parse(r.plank.expiresAt) - Date.now()).toBeGreaterThan(3_500_000);
    expect(r.endpoint.websocketUrl).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${r.endpoint.port}/`));

    const cdp = await connectCdp(r.endpoint.websocketUrl!);
    const evaluated = await cdp.send<{ result: { value: number } }>('Runtime.evaluate', { expression: 'process.pid' });
    expect(evaluated.result.value).toBe(s.pid);
    cdp.close();

    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(logLines(run.stderr()).find((l) => l.msg === 'letting go of the target')).toMatchObject({ reason: 'stopped', detail: 'received SIGTERM' });
    expect(run.stdout().split('\n').filter(Boolean)).toHaveLength(1);
    expect(await refused(r.endpoint.port)).toBe(true);
    expect(await serves(s)).toBe(true);
    expect(await tracerPid(s.pid)).toBe(0);
  });

  it('lets go by itself when --ttl runs out', async () => {
    const s = await sample('node');
    const run = plank(['--pid', String(s.pid), '--ttl', '2s']);
    const r = await ready(run);
    expect(r.plank.ttlMs).toBe(2000);
    expect(await run.exit).toBe(0);
    expect(logLines(run.stderr()).find((l) => l.msg === 'letting go of the target')).toMatchObject({ reason: 'ttl' });
    expect(await serves(s)).toBe(true);
  });

  it.each([
    [['--pid', '999999'], 3, 'TARGET_NOT_FOUND', 'no process with PID 999999'],
    [['--pid', 'SAMPLE', '--debugger', 'lldb'], 2, 'CONFIG_INVALID', '--debugger: got "lldb", expected one of dlv, gdb, nodejs, python, java'],
    [['--pid', 'SAMPLE', '--debugger', 'python'], 1, 'RUNTIME_UNSUPPORTED', 'runs node'],
    [['--pid', 'SAMPLE', '--ttl', 'off'], 2, 'CONFIG_INVALID', '--ttl'],
    [['--container', 'beef'], 3, 'TARGET_NOT_FOUND', 'no running container with ID beef'],
  ])('%j fails with the error line, a readable stderr and exit %i', async (args, exitCode, code, message) => {
    const s = await sample('node');
    const run = plank(args.map((a) => (a === 'SAMPLE' ? String(s.pid) : a)));
    const event = await run.event;
    expect(event).toMatchObject({ event: 'error', error: { code, message: expect.stringContaining(message) } });
    expect(await run.exit).toBe(exitCode);
    expect(run.stderr()).toMatch(/^plank: .+/m);
    expect(await tracerPid(s.pid)).toBe(0);
  });

  it.each([
    ['--allow-namespaces', ['--allow-namespaces', 'prod'], {}],
    ['$SQUASH_ALLOWED_NAMESPACES', [], { SQUASH_ALLOWED_NAMESPACES: 'prod' }],
  ])('refuses a target outside the namespaces %s allows, before any debugger touches it', async (_how, extra, env) => {
    const s = await sample('node');
    // gdb would ptrace the target: a refusal that came too late would show as a tracer.
    const run = plank(['--pid', String(s.pid), '--debugger', 'gdb', '--target-namespace', 'default', ...extra], { ...process.env, ...env });
    const event = await run.event;
    expect(event).toMatchObject({
      event: 'error',
      error: { code: 'PERMISSION_DENIED', message: `process ${s.pid} is in namespace default, which planks may not debug; allowed namespaces: prod` },
    });
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/^plank: process \d+ is in namespace default/m);
    expect(logLines(run.stderr()).map((l) => l.msg)).not.toContain('attaching');
    expect(await tracerPid(s.pid)).toBe(0);
    expect(await serves(s)).toBe(true);
  });
});

describe.skipIf(!existsSync('/usr/bin/go'))('plank with Delve', () => {
  const builtSamples = useBuiltSamples({ timeoutMs: 180_000 });

  it.skipIf(!existsSync('/usr/bin/dlv'))('serves Delve JSON-RPC on its relay port and detaches on SIGTERM', async () => {
    const s = await sample('go', builtSamples.get());
    const run = plank(['--pid', String(s.pid)]);
    const r = await ready(run);
    expect(r.endpoint).toMatchObject({ runtime: 'go', debugger: 'dlv', protocol: 'dlv', pid: s.pid });
    // The target is traced by the plank's own Delve, which answers on the relay (and lets the target run).
    const tracer = await tracerPid(s.pid);
    expect(/^PPid:\s+(\d+)$/m.exec(await readFile(`/proc/${tracer}/status`, 'utf8'))![1]).toBe(String(run.child.pid));
    const rpc = await connectDlvRpc('127.0.0.1', r.endpoint.port);
    expect(await rpc.call<{ APIVersion: number }>('RPCServer.GetVersion')).toMatchObject({ APIVersion: 2 });
    expect(await rpc.call<{ State: { Running: boolean } }>('RPCServer.State', { NonBlocking: true })).toMatchObject({ State: { Running: true } });
    rpc.close();
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(await tracerPid(s.pid)).toBe(0);
    expect(await serves(s)).toBe(true);
  });

  it.skipIf(!existsSync('/usr/bin/dlv'))('a second plank on a process Delve holds names the tracer and its plank, not a ptrace permission', async () => {
    const s = await sample('go', builtSamples.get());
    const first = plank(['--pid', String(s.pid)]);
    // A plank killed by afterEach (SIGKILL) would leave its dlv behind: end it with SIGTERM whatever happens.
    try {
      await ready(first);
      const tracer = await tracerPid(s.pid);
      for (const debuggerArgs of [[], ['--debugger', 'gdb']]) {
        const second = plank(['--pid', String(s.pid), ...debuggerArgs]);
        const event = await second.event;
        const name = debuggerArgs.length > 0 ? 'gdb' : 'dlv';
        expect(event).toMatchObject({
          event: 'error',
          error: {
            code: 'CONFLICT',
            message: expect.stringMatching(new RegExp(`^${name}: process ${s.pid} is already traced by process ${tracer} \\((?:\\S*/)?dlv attach ${s.pid} .*\\), the debugger of plank ${first.child.pid}; a process has only one tracer$`)),
            hint: expect.stringContaining('`squashctl cleanup` ends it'),
          },
        });
        expect(await second.exit).toBe(1);
      }
      expect(await tracerPid(s.pid)).toBe(tracer);
    } finally {
      first.child.kill('SIGTERM');
      await first.exit;
    }
    expect(await first.exit).toBe(0);
  });
});

describe.skipIf(!canRunContainers() || !existsSync('/usr/bin/gdbserver'))('plank --container', () => {
  let container: RuncContainer | undefined;
  afterEach(async () => {
    await container?.remove();
  });

  it("finds a runc container's main process from an ID prefix and attaches its default debugger", async () => {
    container = await startRuncContainer({ id: `sq${randomBytes(8).toString('hex')}` });
    const run = plank(['--container', container.id.slice(0, 10)]);
    const r = await ready(run);
    // /bin/sleep, PID 1 inside: native code, so gdbserver, reached through the plank's relay.
    expect(r.endpoint).toMatchObject({ runtime: 'c', debugger: 'gdb', protocol: 'gdb-remote', pid: container.pid });
    const gdb = await connectGdbRemote('127.0.0.1', r.endpoint.port);
    expect(await gdb.request('qSupported')).toMatch(/PacketSize=/);
    gdb.close();
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(await tracerPid(container.pid)).toBe(0);
    expect(alive(container.pid)).toBe(true);
  });
});

describe('squashctl', () => {
  const squashctl = (args: string[]): Promise<CliResult> => runCli(SQUASHCTL, args, { env: env() });

  it('--pid --machine prints only the machine JSON; the plank outlives squashctl until cleanup ends it', async () => {
    const s = await sample('node');
    const result = await squashctl(['--pid', String(s.pid), '--machine']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const machine = JSON.parse(lines[0]!) as { version: number; endpoint: { port: number; pid: number; runtime: string }; vscode: { type: string; port: number } };
    expect(machine).toMatchObject({ version: 1, endpoint: { runtime: 'node', pid: s.pid }, vscode: { type: 'node', request: 'attach', port: machine.endpoint.port } });

    const listed = await squashctl(['list', '-o', 'json']);
    const planks = JSON.parse(listed.stdout) as PlankRecord[];
    expect(planks).toHaveLength(1);
    expect(planks[0]).toMatchObject({ target: { pid: s.pid, runtime: 'node' }, debugger: 'nodejs', endpoint: { port: machine.endpoint.port } });
    const plankPid = planks[0]!.pid;
    expect(alive(plankPid)).toBe(true);
    expect(await refused(machine.endpoint.port)).toBe(false);
    expect((await squashctl(['list'])).stdout).toMatch(new RegExp(`^\\s*${plankPid}\\s+${s.pid} node --inspect-port=0 server\\.js 0\\s+nodejs\\s+127\\.0\\.0\\.1:${machine.endpoint.port}\\s`, 'm'));

    const cleaned = await squashctl(['cleanup']);
    expect(cleaned.code).toBe(0);
    expect(cleaned.stdout).toBe(`ended plank ${plankPid} (nodejs on process ${s.pid})\n`);
    expect(alive(plankPid)).toBe(false);
    expect(await refused(machine.endpoint.port)).toBe(true);
    expect(await serves(s)).toBe(true);
    expect((await squashctl(['list'])).stdout).toBe('no planks running\n');
    expect((await squashctl(['cleanup'])).stdout).toBe('no planks to clean up\n');
  });

  it('--write merges into an existing launch.json with comments, keeping the other configurations', async () => {
    const s = await sample('node');
    const workspace = await mkdtemp(path.join(tmpdir(), 'squash-ws-'));
    try {
      await mkdir(path.join(workspace, '.vscode'));
      await writeFile(
        path.join(workspace, '.vscode/launch.json'),
        '{\n  // my configurations\n  "version": "0.2.0",\n  "configurations": [\n    { "name": "Launch app", "type": "node", "request": "launch", "program": "${workspaceFolder}/app.js" }, // keep me\n  ],\n  "compounds": [],\n}\n',
      );
      const result = await squashctl(['--pid', String(s.pid), '--ide', 'vscode', '--write', '--workspace', workspace]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`Attached nodejs to process ${s.pid}`);
      // Written already: the line above the configuration does not suggest --write again.
      expect(result.stdout).toContain('VS Code: add to "configurations" in .vscode/launch.json:\n');
      expect(result.stdout).not.toContain('or use --write');
      expect(result.stdout).toContain(`added configuration "Squash: node pid ${s.pid}" in ${path.join(workspace, '.vscode/launch.json')} (its comments were not kept`);
      const written = parseJsonc(await readFile(path.join(workspace, '.vscode/launch.json'), 'utf8'), 'launch.json').value as { version: string; configurations: Array<Record<string, unknown>>; compounds: unknown[] };
      const [planked] = JSON.parse((await squashctl(['list', '-o', 'json'])).stdout) as PlankRecord[];
      expect(written.version).toBe('0.2.0');
      expect(written.compounds).toEqual([]);
      expect(written.configurations).toEqual([
        { name: 'Launch app', type: 'node', request: 'launch', program: '${workspaceFolder}/app.js' },
        expect.objectContaining({ name: `Squash: node pid ${s.pid}`, type: 'node', request: 'attach', address: '127.0.0.1', port: planked!.endpoint.port }),
      ]);
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  });

  it('names the state directory it cannot create, and how to choose another', async () => {
    const s = await sample('node');
    const file = path.join(stateDir, 'a-file');
    await writeFile(file, '');
    const result = await runCli(SQUASHCTL, ['--pid', String(s.pid)], { env: { SQUASH_STATE_DIR: path.join(file, 'state') } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^squashctl: cannot create squashctl's state directory .*a-file\/state: ENOTDIR/);
    expect(result.stderr).toContain('hint: set SQUASH_STATE_DIR (or XDG_STATE_HOME) to a directory you can write');
  });

  it('--program naming no file, or a directory, is refused (exit 2) before anything is attached', async () => {
    const s = await sample('node');
    const missing = await squashctl(['--pid', String(s.pid), '--debugger', 'gdb', '--program', '/nonexistent/server']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('squashctl: --program /nonexistent/server: no such file or directory');
    expect(missing.stderr).toContain('hint: pass the local copy of the target binary');
    const directory = await squashctl(['--pid', String(s.pid), '--debugger', 'gdb', '--program', stateDir]);
    expect(directory.code).toBe(2);
    expect(directory.stderr).toContain(`squashctl: --program ${stateDir}: is a directory`);
    expect((await squashctl(['list'])).stdout).toBe('no planks running\n');
  });

  it('--write into a workspace it cannot write is refused (exit 2) before anything is attached', async () => {
    // Found after the attach, these left a plank holding the target behind a usage error.
    const s = await sample('node');
    const file = path.join(stateDir, 'not-a-workspace');
    await writeFile(file, '');
    const notDir = await squashctl(['--pid', String(s.pid), '--write', '--workspace', file]);
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toContain(`squashctl: --workspace ${file}: is not a directory`);
    const workspace = await mkdtemp(path.join(tmpdir(), 'squash-ws-'));
    try {
      await mkdir(path.join(workspace, '.vscode'));
      await writeFile(path.join(workspace, '.vscode/launch.json'), '{ "configurations": {} }\n');
      const unmergeable = await squashctl(['--pid', String(s.pid), '--write', '--workspace', workspace]);
      expect(unmergeable.code).toBe(2);
      expect(unmergeable.stderr).toContain('"configurations" is object; expected an array');
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
    expect((await squashctl(['list'])).stdout).toBe('no planks running\n');
  });

  it('without a terminal and without --pid/--container says what to pass, and starts nothing', async () => {
    const result = await squashctl([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('squashctl: no terminal to pick a process on: pass --pid PID or --container ID');
    expect(result.stdout).toBe('');
    expect((await squashctl(['list'])).stdout).toBe('no planks running\n');
  });

  it.skipIf(!existsSync('/usr/bin/gdbserver'))('gdb: says gdbserver attaches when the client connects; a second attach names the holder instead of a ptrace permission hint', async () => {
    const s = await sample('node');
    const first = await squashctl(['--pid', String(s.pid), '--debugger', 'gdb']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Attached gdb to process ${s.pid}`);
    expect(first.stdout).toContain('gdbserver attaches when your debugger connects; the process runs until then');
    expect(first.stdout).not.toContain('is stopped');
    const [record] = JSON.parse((await squashctl(['list', '-o', 'json'])).stdout) as PlankRecord[];
    expect(await tracerPid(s.pid)).toBe(0); // nobody connected yet: not traced, running

    // squashctl knows the plank: refused before any debugger starts, with the endpoint to reuse.
    for (const debuggerArgs of [[], ['--debugger', 'gdb']]) {
      const again = await squashctl(['--pid', String(s.pid), ...debuggerArgs]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`squashctl: process ${s.pid} is already held by plank ${record!.pid} (gdb, endpoint 127.0.0.1:${record!.endpoint.port}`);
      expect(again.stderr).toMatch(/hint: connect your debugger client to 127\.0\.0\.1:\d+ \(`squashctl list` shows it\), or end that plank with `squashctl cleanup`/);
    }

    // Another state directory does not know it: while a client is connected (gdbserver attached), the
    // plank reads TracerPid and names the tracer and its plank.
    const client = await connectGdbRemote('127.0.0.1', record!.endpoint.port, 10_000);
    expect(await client.request('qSupported', 10_000)).toMatch(/PacketSize=/);
    const tracer = await tracerPid(s.pid);
    expect(tracer).not.toBe(0);
    const otherState = await mkdtemp(path.join(tmpdir(), 'squash-state-'));
    try {
      const other = await runCli(SQUASHCTL, ['--pid', String(s.pid), '--debugger', 'gdb'], { env: { SQUASH_STATE_DIR: otherState } });
      expect(other.code).toBe(1);
      expect(other.stderr).toContain(`squashctl: gdb: process ${s.pid} is already traced by process ${tracer} (`);
      expect(other.stderr).toContain(`gdbserver --once --attach 127.0.0.1:0 ${s.pid}), the debugger of plank ${record!.pid}; a process has only one tracer`);
      expect(other.stderr).toContain('`squashctl cleanup` ends it');
      expect(other.stderr).not.toMatch(/CAP_SYS_PTRACE|no permission/);
      expect((await runCli(SQUASHCTL, ['list'], { env: { SQUASH_STATE_DIR: otherState } })).stdout).toBe('no planks running\n');
    } finally {
      await rm(otherState, { recursive: true, force: true });
    }
    expect(alive(record!.pid)).toBe(true);
    expect(await tracerPid(s.pid)).toBe(tracer);
    client.close();
  });

  it.each([[[]], [['--debugger', 'gdb']]])('a kernel thread (PID 2, %j) is refused as one, not with a permission hint', async (extra) => {
    const result = await squashctl(['--pid', '2', ...extra]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('squashctl: process 2 ([kthreadd]) is a kernel thread: it has no user space for a debugger to attach to');
    expect(result.stderr).not.toMatch(/CAP_SYS_PTRACE|no permission/);
  });

  it('a second attach to a Node process a plank holds is refused, and the first keeps its inspector', async () => {
    const s = await sample('node');
    const first = await squashctl(['--pid', String(s.pid), '--machine']);
    expect(first.code, first.stderr).toBe(0);
    const { endpoint } = JSON.parse(first.stdout) as { endpoint: { port: number; websocketUrl: string } };
    const [record] = JSON.parse((await squashctl(['list', '-o', 'json'])).stdout) as PlankRecord[];
    const second = await squashctl(['--pid', String(s.pid)]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`squashctl: process ${s.pid} is already held by plank ${record!.pid} (nodejs, endpoint 127.0.0.1:${endpoint.port}`);
    expect(JSON.parse((await squashctl(['list', '-o', 'json'])).stdout)).toHaveLength(1);
    const cdp = await connectCdp(endpoint.websocketUrl);
    expect((await cdp.send<{ result: { value: number } }>('Runtime.evaluate', { expression: '6 * 7' })).result.value).toBe(42);
    cdp.close();
  });

  it('Python: a second attach is refused while the first plank lives, and after it ends says debugpy cannot be injected twice', async () => {
    const s = await sample('python');
    const first = await squashctl(['--pid', String(s.pid)]);
    expect(first.code, first.stderr).toBe(0);
    const [record] = JSON.parse((await squashctl(['list', '-o', 'json'])).stdout) as PlankRecord[];
    const second = await squashctl(['--pid', String(s.pid)]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`process ${s.pid} is already held by plank ${record!.pid} (python`);
    expect(alive(record!.pid)).toBe(true);
    expect(await refused(record!.endpoint.port)).toBe(false);

    expect((await squashctl(['cleanup'])).stdout).toBe(`ended plank ${record!.pid} (python on process ${s.pid})\n`);
    const started = Date.now();
    const again = await squashctl(['--pid', String(s.pid)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`squashctl: python: debugpy is already loaded in process ${s.pid} (an earlier attach injected it, or the process started with it); debugpy cannot be injected twice into one process`);
    expect(again.stderr).toContain(`restart process ${s.pid} to debug it again`);
    expect(again.stderr).not.toContain('raise the timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await serves(s)).toBe(true);
  });

  it('a misspelt command is an unknown command', async () => {
    const result = await squashctl(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("squashctl: unknown command 'frobnicate'");
    expect(result.stderr).toContain('commands: targets, kube, list, cleanup');
    expect(result.stderr).not.toContain('too many arguments');
  });

  it('kube namespaces without any kubeconfig, or with --kubeconfig naming a missing file, says so', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'squash-home-'));
    try {
      const none = await runCli(SQUASHCTL, ['kube', 'namespaces'], { env: { ...env(), HOME: home, KUBECONFIG: '' } });
      expect(none.code).toBe(2);
      expect(none.stderr).toBe(`squashctl: no kubeconfig found: ${home}/.kube/config does not exist and $KUBECONFIG is unset\n  hint: pass --kubeconfig <file> (or set $KUBECONFIG) for the cluster to debug in\n`);
      const missing = await runCli(SQUASHCTL, ['--kubeconfig', '/nonexistent', 'kube', 'namespaces'], { env: { ...env(), HOME: home } });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('squashctl: --kubeconfig: /nonexistent does not exist');
      expect(missing.stderr).not.toContain('pass --kubeconfig');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('targets -o json lists a sample with its runtime', async () => {
    const s = await sample('python');
    const targets = JSON.parse((await squashctl(['targets', '-o', 'json'])).stdout) as Array<{ pid: number; runtime?: string; command: string }>;
    expect(targets.find((t) => t.pid === s.pid)).toMatchObject({ runtime: 'python', command: expect.stringContaining('app.py') });
    expect((await squashctl(['ps'])).stdout).toMatch(new RegExp(`^\\s*${s.pid}\\s+python\\s`, 'm'));
  });
});

/** squashctl on a real pseudo-terminal: we type, it draws (ANSI stripped for matching). */
function onTerminal(args: string): { write(keys: string): void; waitFor(re: RegExp, timeoutMs?: number): Promise<string>; exit: Promise<number | null>; screen(): string } {
  // `exec`: script runs the command through $SHELL -c; dash (CI's /bin/sh) would stay as the parent and die of a Ctrl-C itself.
  const command = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(SQUASHCTL)} ${args}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, ...env(), TERM: 'xterm', COLUMNS: '200', LINES: '50' }, stdio: ['pipe', 'pipe', 'pipe'] });
  processes.push(child);
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (c: Buffer): void => {
    // eslint-disable-next-line no-control-regex
    text += c.toString().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    write: (keys) => void child.stdin!.write(keys),
    screen: () => text,
    exit,
    waitFor(re, timeoutMs = 20_000) {
      const from = text.length;
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(text.slice(from));
          if (!m) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m[0]);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`terminal never showed ${re}; it shows:\n${text.slice(-2000)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

describe.skipIf(!existsSync('/usr/bin/script'))('squashctl interactive picker', () => {
  it('type to filter, Enter, Enter on the detected debugger: a plank holds the picked process', async () => {
    const s = await sample('node');
    const term = onTerminal('');
    await term.waitFor(/Process to debug/);
    // Part of the sample's command plus its PID: exactly one row is left, under the cursor.
    term.write(`server.js ${s.pid}`);
    await term.waitFor(new RegExp(`❯\\s+${s.pid}\\s+node\\s`));
    term.write('\r');
    await term.waitFor(/nodejs \(detected: node\)/);
    term.write('\r');
    await term.waitFor(new RegExp(`Attached nodejs to process ${s.pid}`));
    expect(await term.exit).toBe(0);
    expect(term.screen()).toContain('"request": "attach"');
    const [record] = JSON.parse((await runCli(SQUASHCTL, ['list', '-o', 'json'], { env: env() })).stdout) as PlankRecord[];
    expect(record).toMatchObject({ target: { pid: s.pid }, debugger: 'nodejs' });
    expect(alive(record!.pid)).toBe(true);
    const cdp = await connectCdp(record!.endpoint.websocketUrl!);
    expect((await cdp.send<{ result: { value: number } }>('Runtime.evaluate', { expression: '6 * 7' })).result.value).toBe(42);
    cdp.close();
  });

  it('Ctrl-C in the picker exits with 130 and starts nothing', async () => {
    const term = onTerminal('');
    await term.waitFor(/Process to debug/);
    term.write('\x03');
    expect(await term.exit).toBe(130);
    expect((await runCli(SQUASHCTL, ['list'], { env: env() })).stdout).toBe('no planks running\n');
  });
});
