// Squash end to end, per runtime, with the real debugger: start the sample service, attach through plank,
// drive a real protocol client to a breakpoint in the request handler, check the stop (function, line, the
// `amount` we sent), resume and see the request answered, SIGTERM plank, and see the service keep serving,
// neither stopped nor traced. Then the same for Go and Node samples inside a real runc container.
// Needs `npm run build` (plank runs from dist/).
import { execFile, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { findExecutable } from '../../src/squash/debuggers/debugger.js';
import { createDebuggerRegistry } from '../../src/squash/debuggers/index.js';
import type { DebugEndpoint, DebuggerName, Runtime } from '../../src/squash/squash-types.js';
import { canRunContainers, startRuncContainer } from '../../src/squash/targets/runc-container.test-helper.js';
import { breakInC, breakInGo, breakInJava, breakInNode, breakInPython, markerLine, type BreakpointHit, type BreakpointSpot } from './breakpoint-drivers.js';
import { PLANK_MAIN, plankBuilt, startPlank, type RunningPlank } from './plank-process.js';
import { EXAMPLES, sampleCommand, sampleGet, startSample, useBuiltSamples } from './sample-targets.js';

const registry = createDebuggerRegistry();
const execFileP = promisify(execFile);

interface Case {
  runtime: Runtime;
  debugger: DebuggerName;
  source: string;
  /** The paused function's name as the debugger reports it. */
  functionName: string;
  drive: (endpoint: DebugEndpoint, spot: BreakpointSpot) => Promise<BreakpointHit>;
  /** Client-side executables the driver needs besides the debugger server. */
  clients: string[];
}

const CASES: Case[] = [
  { runtime: 'go', debugger: 'dlv', source: 'go-service/main.go', functionName: 'main.pay', drive: breakInGo, clients: ['go'] },
  { runtime: 'node', debugger: 'nodejs', source: 'node-service/server.js', functionName: 'pay', drive: breakInNode, clients: [] },
  { runtime: 'python', debugger: 'python', source: 'python-service/app.py', functionName: 'do_GET', drive: breakInPython, clients: [] },
  { runtime: 'c', debugger: 'gdb', source: 'c-service/server.c', functionName: 'handle_pay', drive: breakInC, clients: ['gdb', 'gcc'] },
  { runtime: 'java', debugger: 'java', source: 'java-service/PaymentService.java', functionName: 'pay', drive: breakInJava, clients: ['java', 'jdb'] },
];
const byRuntime = (runtime: Runtime): Case => CASES.find((c) => c.runtime === runtime)!;

/** Why a case cannot run here (a debugger binary missing), or undefined. */
async function missing(c: Case): Promise<string | undefined> {
  const availability = await registry.byName(c.debugger).available();
  if (!availability.ok) return `${availability.reason} (Debian package ${availability.package})`;
  for (const exe of c.clients) if (!(await findExecutable(exe))) return `${exe} not found on PATH`;
  return undefined;
}
const reasons = new Map(await Promise.all(CASES.map(async (c) => [c.runtime, await missing(c)] as const)));
const noContainers = canRunContainers() ? (await findExecutable('nsenter')) ? undefined : 'nsenter not found on PATH' : 'runc containers need root and /usr/sbin/runc';

/** Skipped with the reason in its name when something is missing, except on CI, where it then fails. */
function needs(reason: string | undefined): { skip: boolean; label: string; check(): void } {
  const skip = reason !== undefined && !process.env.CI;
  return {
    skip,
    label: skip ? ` — skipped: ${reason}` : '',
    check() {
      if (reason) throw new Error(`cannot run: ${reason}`);
    },
  };
}

interface Reply {
  status: number;
  body: unknown;
}

function parseReply(what: string, status: number, text: string): Reply {
  try {
    return { status, body: JSON.parse(text) };
  } catch (err) {
    throw new Error(`${what}: ${status} with a body that is not JSON: ${text.slice(0, 200)}`, { cause: err });
  }
}

/** GET over a fresh connection, its body parsed as JSON. */
async function get(url: string): Promise<Reply> {
  const { status, body } = await sampleGet(url, 15_000);
  return parseReply(`GET ${url}`, status, body);
}

/** GET from inside a process's network namespace (a container's 127.0.0.1), with the host's curl. */
async function getInNetns(pid: number, url: string): Promise<Reply> {
  const { stdout } = await execFileP('nsenter', [`--net=/proc/${pid}/ns/net`, 'curl', '-sS', '--max-time', '15', '-w', '\n%{http_code}', url]);
  const nl = stdout.lastIndexOf('\n');
  return parseReply(`curl ${url} in the netns of ${pid}`, Number(stdout.slice(nl + 1)), stdout.slice(0, nl));
}

/** The kernel's view of a process: its TracerPid, and the state letter of every thread. */
async function kernelView(pid: number): Promise<{ tracerPid: number; stoppedThreads: string[] }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const tids = await readdir(`/proc/${pid}/task`);
  const states = await Promise.all(tids.map(async (tid) => `${tid}:${/^State:\s+(\S)/m.exec(await readFile(`/proc/${pid}/task/${tid}/status`, 'utf8').catch(() => ''))?.[1] ?? 'gone'}`));
  return { tracerPid: Number(/^TracerPid:\s+(\d+)/m.exec(status)?.[1]), stoppedThreads: states.filter((s) => /:[tT]$/.test(s)) };
}

/**
 * The Node sample started with `--inspect-port=0`, so that SIGUSR1 opens its inspector on a free port:
 * suites running in parallel (node-debugger.test.ts, the bench) also open inspectors, and one of them on
 * 9229 would make this attach fail with "port 9229 is held by another process".
 */
async function startNodeSample(): Promise<{ pid: number; url: string; stop(): Promise<void> }> {
  const { cmd, args, cwd } = sampleCommand('node', undefined);
  const child = spawn(cmd, ['--inspect-port=0', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the node sample printed no port within 10 s: ${stderr}`)), 10_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /^listening on 127\.0\.0\.1:(\d+)$/.exec(line);
        if (!m) return;
        clearTimeout(timer);
        resolve(Number(m[1]));
      });
      void exited.then(() => reject(new Error(`the node sample exited (${child.exitCode ?? child.signalCode}) before listening: ${stderr}`)));
      child.once('error', reject);
    });
    return { pid: child.pid!, url: `http://127.0.0.1:${port}`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const AMOUNT = 4217;
/** Samples and containers to end after each test. */
const running: { stop(): Promise<void> }[] = [];
const planks: RunningPlank[] = [];
/** The compiled Go and C samples; a build failure fails only the tests that need them. */
const builtSamples = useBuiltSamples({ buildFailure: 'get' });

/** Starts plank and remembers it for cleanup. */
async function plank(args: string[]): Promise<RunningPlank> {
  if (!plankBuilt()) throw new Error(`${PLANK_MAIN} is missing: run npm run build first`);
  const p = await startPlank([...args, '--ttl', '5m']);
  planks.push(p);
  return p;
}

/**
 * The scenario every test runs once attached: break in the handler, check the stop and the reply, SIGTERM
 * plank, then the target answers again and is neither traced nor stopped.
 */
async function breakResumeDetach(c: Case, attached: RunningPlank, spot: { file: string; line: number }, send: (amount: number) => Promise<Reply>): Promise<void> {
  let reply: Promise<Reply> | undefined;
  const hit = await c.drive(attached.endpoint, { ...spot, variable: 'amount', trigger: () => (reply = send(AMOUNT)) });
  expect(hit).toEqual({ functionName: c.functionName, line: spot.line, local: String(AMOUNT) });
  expect(await reply).toEqual({ status: 200, body: { amount: AMOUNT, fee: 42 } });

  expect(await attached.stop()).toEqual({ code: 0, signal: null });
  expect(await send(900)).toEqual({ status: 200, body: { amount: 900, fee: 9 } });
  expect(await kernelView(attached.endpoint.pid)).toEqual({ tracerPid: 0, stoppedThreads: [] });
}

afterEach(async () => {
  await Promise.all(planks.splice(0).map((p) => p.stop(3000)));
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

describe('squash: a breakpoint in a local service, through plank', () => {
  for (const c of CASES) {
    const need = needs(reasons.get(c.runtime));
    it.skipIf(need.skip)(`${c.runtime} (${c.debugger}): stops in the handler with the amount sent, resumes, and the service serves on after plank detaches${need.label}`, async () => {
      need.check();
      const file = path.join(EXAMPLES, c.source);
      const line = await markerLine(file);
      const sample = c.runtime === 'node' ? await startNodeSample() : await startSample(c.runtime, c.runtime === 'go' || c.runtime === 'c' ? builtSamples.get() : undefined, c.runtime === 'java' ? { jdwpAddress: '127.0.0.1:0' } : {});
      running.push(sample);
      const attached = await plank(['--pid', String(sample.pid), '--debugger', c.debugger]);
      expect(attached.endpoint).toMatchObject({ runtime: c.runtime, debugger: c.debugger, host: '127.0.0.1', pid: sample.pid });
      await breakResumeDetach(c, attached, { file, line }, (amount) => get(`${sample.url}/pay?amount=${amount}`));
    });
  }
});

describe('squash: a breakpoint in a service inside a runc container, through plank --container', () => {
  const LISTENING = /listening on 127\.0\.0\.1:(\d+)/;

  const goNeed = needs(noContainers ?? reasons.get('go'));
  it.skipIf(goNeed.skip)(`go (dlv) across PID, mount and network namespaces${goNeed.label}`, async () => {
    goNeed.check();
    const c = byRuntime('go');
    // The binary's DWARF names its host source path, which is what Delve matches breakpoints against.
    const file = path.join(EXAMPLES, c.source);
    const container = await startRuncContainer({ args: ['/samples/goservice', '0'], mounts: [{ destination: '/samples', source: builtSamples.get().dir }], pipeOutput: true });
    running.push({ stop: container.remove });
    const port = Number((await container.waitForOutput(LISTENING, 15_000))[1]);
    const attached = await plank(['--container', container.id]);
    expect(attached.endpoint).toMatchObject({ runtime: 'go', debugger: 'dlv', host: '127.0.0.1', pid: container.pid });
    await breakResumeDetach(c, attached, { file, line: await markerLine(file) }, (amount) => getInNetns(container.pid, `http://127.0.0.1:${port}/pay?amount=${amount}`));
  });

  const nodeNeed = needs(noContainers ?? reasons.get('node'));
  it.skipIf(nodeNeed.skip)(`node (nodejs): the inspector in the container's network namespace, relayed by plank${nodeNeed.label}`, async () => {
    nodeNeed.check();
    const c = byRuntime('node');
    const container = await startRuncContainer({
      args: [process.execPath, '/app/server.js', '0'],
      cwd: '/app',
      mounts: [{ destination: '/app', source: path.join(EXAMPLES, 'node-service') }],
      pipeOutput: true,
    });
    running.push({ stop: container.remove });
    const port = Number((await container.waitForOutput(LISTENING, 15_000))[1]);
    const attached = await plank(['--container', container.id]);
    expect(attached.endpoint).toMatchObject({ runtime: 'node', debugger: 'nodejs', host: '127.0.0.1', pid: container.pid });
    // The script as the target knows it: its path inside the container.
    const line = await markerLine(path.join(EXAMPLES, c.source));
    await breakResumeDetach(c, attached, { file: '/app/server.js', line }, (amount) => getInNetns(container.pid, `http://127.0.0.1:${port}/pay?amount=${amount}`));
  });
});
