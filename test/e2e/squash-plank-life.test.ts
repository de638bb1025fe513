// How a plank's end leaves the target, with real debuggers and real processes (run `npm run build` first):
//  - a Go target left stopped at a breakpoint by a dlv client that went away is resumed, not killed, when
//    the plank lets go (SIGTERM as `squashctl cleanup` sends, or its TTL);
//  - a plank killed with SIGKILL takes its debugger server (dlv, gdbserver) with it, and the target runs on;
//  - Ctrl-C (or SIGTERM, SIGHUP) while squashctl attaches to a Python process leaves no plank or debugpy
//    adapter behind.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable, isAlive } from '../../src/squash/debuggers/debugger.js';
import { connectDlvRpc } from '../../src/squash/debuggers/dlv-rpc-client.js';
import { connectGdbRemote } from '../../src/squash/debuggers/gdb-remote-client.js';
import { markerLine } from './breakpoint-drivers.js';
import { ROOT } from './harness.js';
import { plankBuilt, PLANK_MAIN, startPlank, type RunningPlank } from './plank-process.js';
import { EXAMPLES, sampleGet, startSample, useBuiltSamples, type RunningSample } from './sample-targets.js';

const SQUASHCTL = path.join(ROOT, 'dist/cli/squashctl/main.js');
const running: RunningSample[] = [];
const planks: RunningPlank[] = [];
/** PIDs to SIGKILL after each test if still there (debugger servers a failing test may leave). */
const strays: number[] = [];

beforeAll(() => {
  if (!plankBuilt()) throw new Error(`${PLANK_MAIN} is missing: run npm run build first`);
});
const builtSamples = useBuiltSamples({ timeoutMs: 180_000 });
afterEach(async () => {
  await Promise.all(planks.splice(0).map((p) => p.stop(3000)));
  for (const pid of strays.splice(0)) killQuietly(pid);
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

async function sample(runtime: 'go' | 'c' | 'python'): Promise<RunningSample> {
  const s = await startSample(runtime, builtSamples.get());
  running.push(s);
  return s;
}

async function plank(args: string[]): Promise<RunningPlank> {
  const p = await startPlank(args);
  planks.push(p);
  return p;
}

const get = (url: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> => sampleGet(url, timeoutMs);

/** The kernel's view of a process: its tracer and any thread in a stop (t/T). */
async function kernelView(pid: number): Promise<{ tracerPid: number; stoppedThreads: string[] }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const tids = await readdir(`/proc/${pid}/task`);
  const states = await Promise.all(tids.map(async (tid) => `${tid}:${/^State:\s+(\S)/m.exec(await readFile(`/proc/${pid}/task/${tid}/status`, 'utf8').catch(() => ''))?.[1] ?? 'gone'}`));
  return { tracerPid: Number(/^TracerPid:\s+(\d+)/m.exec(status)?.[1]), stoppedThreads: states.filter((s) => /:[tT]$/.test(s)) };
}

/** PIDs whose parent is `pid`. */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
  }
  return out;
}

async function waitFor(what: string, ms: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a Go target stopped at a breakpoint when the plank lets go', () => {
  for (const how of ['SIGTERM', 'TTL'] as const) {
    it(`${how}: Delve detaches cleanly and the target answers the held request and serves on`, async () => {
      const go = await sample('go');
      const attached = await plank(['--pid', String(go.pid), '--debugger', 'dlv', '--ttl', how === 'TTL' ? '8s' : '5m']);
      const file = path.join(EXAMPLES, 'go-service/main.go');
      const rpc = await connectDlvRpc(attached.endpoint.host, attached.endpoint.port);
      await rpc.call('RPCServer.Command', { name: 'halt' });
      await rpc.call('RPCServer.CreateBreakpoint', { Breakpoint: { file, line: await markerLine(file) } });
      const stopped = rpc.call<{ State: { currentThread?: { breakPoint?: unknown } } }>('RPCServer.Command', { name: 'continue' });
      const held = get(`${go.url}/pay?amount=500`, 30_000);
      held.catch(() => undefined);
      expect((await stopped).State.currentThread?.breakPoint).toBeTruthy();
      // The user's client goes away (dlv's `exit` without killing the headless server, or a killed client):
      // the target stays stopped at the breakpoint.
      rpc.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (how === 'SIGTERM') expect(await attached.stop()).toEqual({ code: 0, signal: null });
      else expect(await attached.exited).toEqual({ code: 0, signal: null });
      expect(await held).toEqual({ status: 200, body: '{"amount":500,"fee":5}\n' });
      expect(await get(`${go.url}/pay?amount=900`)).toEqual({ status: 200, body: '{"amount":900,"fee":9}\n' });
      expect(isAlive(go.pid)).toBe(true);
      expect(await kernelView(go.pid)).toEqual({ tracerPid: 0, stoppedThreads: [] });
    });
  }
});

describe('a plank killed with SIGKILL', () => {
  for (const runtime of ['go', 'c'] as const) {
    const debuggerName = runtime === 'go' ? 'dlv' : 'gdb';
    it(`${runtime} (${debuggerName}): its debugger server dies with it and the target runs on, untraced`, async () => {
      const target = await sample(runtime);
      const attached = await plank(['--pid', String(target.pid), '--debugger', debuggerName, '--ttl', '5m']);
      // The gdb plank starts gdbserver when a client connects: connect one (and leave it connected).
      const client = runtime === 'c' ? await connectGdbRemote('127.0.0.1', attached.endpoint.port, 10_000) : undefined;
      if (client) expect(await client.request('qSupported', 10_000)).toMatch(/PacketSize=/);
      const servers = await childrenOf(attached.child.pid!);
      strays.push(...servers);
      expect(servers.length).toBeGreaterThan(0);
      attached.child.kill('SIGKILL');
      await attached.exited;
      await waitFor(`the ${debuggerName} server to die with its plank`, 5_000, () => servers.every((pid) => !isAlive(pid)));
      await waitFor('the target to be let go by the kernel', 5_000, async () => (await kernelView(target.pid)).tracerPid === 0);
      const reply = await get(`${target.url}/pay?amount=300`);
      expect({ status: reply.status, body: JSON.parse(reply.body) as unknown }).toEqual({ status: 200, body: { amount: 300, fee: 3 } });
      expect(await kernelView(target.pid)).toEqual({ tracerPid: 0, stoppedThreads: [] });
      client?.close();
    });
  }
});

/** PIDs of processes whose environment holds `marker` (NAME=value): what a run started, however detached. */
async function processesWithEnv(marker: string): Promise<{ pid: number; cmdline: string }[]> {
  const out: { pid: number; cmdline: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
    if (!environ.split('\0').includes(marker)) continue;
    out.push({ pid: Number(entry), cmdline: (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ').trim() });
  }
  return out;
}

/** Processes whose cmdline runs the debugpy adapter for `port` (started by the target, not by us). */
async function adaptersFor(port: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const i = argv.indexOf('--port');
    if (argv.some((a) => a.endsWith('debugpy/adapter')) && i >= 0 && argv[i + 1] === String(port)) out.push(Number(entry));
  }
  return out;
}

describe('Ctrl-C, kill or a closed terminal while squashctl attaches to a Python process', () => {
  // SIGTERM and SIGHUP used to end squashctl on the spot, leaving its detached plank attached and unrecorded.
  const signals: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ];
  it.for(signals)('%s leaves no plank, debugpy adapter or injector behind, and the target serves on', { timeout: 60_000 }, async ([signal, exitCode], ctx) => {
    if (!(await findExecutable('gdb'))) return ctx.skip();
    const py = await sample('python');
    const stateDir = await mkdtemp(path.join(tmpdir(), 'squash-state-'));
    // squashctl, its plank and the debugpy injector inherit this variable; the adapter is the target's child.
    const marker = `SQUASH_LIFE_TEST=${randomBytes(6).toString('hex')}`;
    const [name, value] = marker.split('=') as [string, string];
    const child = spawn(process.execPath, [SQUASHCTL, '--pid', String(py.pid), '--machine'], {
      env: { ...process.env, SQUASH_STATE_DIR: stateDir, [name]: value },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    let port: number | undefined;
    try {
      // Interrupt while gdb injects debugpy (where a user's Ctrl-C about 1.5 s in lands): the injector's
      // --listen names the port the adapter will serve.
      await waitFor('gdb to inject debugpy', 20_000, async () => {
        const started = await processesWithEnv(marker);
        const injector = started.find((p) => p.cmdline.includes('-m debugpy --listen'));
        port = Number(/--listen \S+:(\d+)/.exec(injector?.cmdline ?? '')?.[1]) || undefined;
        return port !== undefined && started.some((p) => p.cmdline.startsWith('gdb '));
      });
      child.kill(signal);
      expect(await exited).toBe(exitCode);
      expect(stderr).toContain('interrupted');
      await waitFor('every process squashctl started to end', 30_000, async () => (await processesWithEnv(marker)).length === 0).catch(async (err: unknown) => {
        throw new Error(`${(err as Error).message}: ${JSON.stringify(await processesWithEnv(marker))}`);
      });
      // The target starts the adapter once the injection is done: watch a while for a late one.
      for (let i = 0; i < 30; i++) {
        expect(await adaptersFor(port!)).toEqual([]);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(isAlive(py.pid)).toBe(true);
      expect((await get(`${py.url}/pay?amount=700`)).status).toBe(200);
    } finally {
      child.kill('SIGKILL');
      for (const p of await processesWithEnv(marker)) killQuietly(p.pid);
      if (port !== undefined) for (const pid of await adaptersFor(port)) killQuietly(pid);
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
