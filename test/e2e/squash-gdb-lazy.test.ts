// The gdb plank attaches gdbserver per client connection (run `npm run build` first): with the real C
// sample service, the real plank and real gdb clients —
//  - after the plank is ready the target is not traced and serves; a gdb client sees it, detaches, the
//    target serves on, and a second client connects again;
//  - a second concurrent client is refused while the first keeps its session;
//  - a client killed while the target runs with a breakpoint inserted, or a plank ended (cleanup's
//    SIGTERM) under a connected client, leaves the target running, untraced and breakpoint-free;
//  - a client's kill request detaches instead: the target keeps running.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/squash/debuggers/debugger.js';
import { connectGdbRemote } from '../../src/squash/debuggers/gdb-remote-client.js';
import { markerLine } from './breakpoint-drivers.js';
import { plankBuilt, PLANK_MAIN, startPlank, type RunningPlank } from './plank-process.js';
import { EXAMPLES, sampleGet, startSample, useBuiltSamples, type RunningSample } from './sample-targets.js';

const running: RunningSample[] = [];
const planks: RunningPlank[] = [];
const clients: Array<{ kill(): void }> = [];

beforeAll(() => {
  if (!plankBuilt()) throw new Error(`${PLANK_MAIN} is missing: run npm run build first`);
});
const builtSamples = useBuiltSamples({ timeoutMs: 180_000 });
afterEach(async () => {
  for (const c of clients.splice(0)) c.kill();
  await Promise.all(planks.splice(0).map((p) => p.stop(5000)));
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

const get = (url: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> => sampleGet(url, timeoutMs);

/** The kernel's view: the tracer, and the process's state letter (t: tracing stop). */
async function kernelView(pid: number): Promise<{ tracerPid: number; state: string }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return { tracerPid: Number(/^TracerPid:\s+(\d+)/m.exec(status)?.[1]), state: /^State:\s+(\S)/m.exec(status)?.[1] ?? '?' };
}

const UNTRACED_RUNNING = { tracerPid: 0, state: 'S' };

/** The target is untraced, not stopped, and answers (twice, a moment apart). */
async function servesUntraced(s: RunningSample, amount: number): Promise<void> {
  expect(await kernelView(s.pid)).toEqual(UNTRACED_RUNNING);
  for (const a of [amount, amount + 100]) {
    expect(await get(`${s.url}/pay?amount=${a}`)).toEqual({ status: 200, body: `{"amount":${a},"fee":${a / 100}}` });
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(await kernelView(s.pid)).toEqual(UNTRACED_RUNNING);
}

interface GdbRun {
  output(): string;
  exit: Promise<number | null>;
  kill(): void;
}

/** Real gdb, batch mode, against the plank's endpoint with the sample's binary. */
function gdb(port: number, commands: string[]): GdbRun {
  const args = ['-batch', '-nx', '-ex', 'set sysroot /', '-ex', 'set debuginfod enabled off', '-ex', `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push('-ex', c);
  const child = spawn('gdb', [...args, builtSamples.get().cBinary], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const run = { output: () => output, exit, kill: () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')) };
  clients.push(run);
  return run;
}

async function gdbBatch(port: number, commands: string[]): Promise<string> {
  const run = gdb(port, commands);
  const code = await run.exit;
  expect(code, run.output()).toBe(0);
  return run.output();
}

async function waitFor(what: string, ms: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function cPlank(): Promise<{ s: RunningSample; plank: RunningPlank }> {
  const s = await startSample('c', builtSamples.get());
  running.push(s);
  const plank = await startPlank(['--pid', String(s.pid), '--debugger', 'gdb', '--ttl', '5m']);
  planks.push(plank);
  return { s, plank };
}

describe.skipIf(!existsSync('/usr/bin/gdbserver') || !existsSync('/usr/bin/gdb'))('gdb plank: gdbserver attaches per client connection', () => {
  it('leaves the target running until a client connects; serves one client after another', async () => {
    const { s, plank } = await cPlank();
    // (a) squashctl has returned (the plank is ready): the service is not stopped and answers.
    await servesUntraced(s, 100);
    // (b) a real gdb client reaches the process through the endpoint, then detaches.
    const first = await gdbBatch(plank.endpoint.port, ['info threads', 'detach']);
    expect(first).toMatch(new RegExp(`Thread ${s.pid}\\.${s.pid} `));
    expect(first).toContain(`[Inferior 1 (process ${s.pid}) detached]`);
    // (c) the target runs on, and the endpoint takes the next client.
    await waitFor('gdbserver to detach', 5_000, async () => (await kernelView(s.pid)).tracerPid === 0);
    await servesUntraced(s, 300);
    const second = await gdbBatch(plank.endpoint.port, ['info threads', 'detach']);
    expect(second).toMatch(new RegExp(`Thread ${s.pid}\\.${s.pid} `));
    await waitFor('gdbserver to detach', 5_000, async () => (await kernelView(s.pid)).tracerPid === 0);
    await servesUntraced(s, 500);
    expect(plank.child.exitCode).toBeNull();
    expect(plank.stderr()).not.toContain('letting go');
    // (d) cleanup's SIGTERM leaves it running and untraced.
    expect(await plank.stop()).toEqual({ code: 0, signal: null });
    await servesUntraced(s, 700);
  }, 60_000);

  it('refuses a second concurrent client and keeps the first one’s session', async () => {
    const { s, plank } = await cPlank();
    const held = await connectGdbRemote('127.0.0.1', plank.endpoint.port, 10_000);
    expect(await held.request('qSupported:multiprocess+', 10_000)).toMatch(/PacketSize=/);
    expect((await kernelView(s.pid)).tracerPid).not.toBe(0);
    const refused = gdb(plank.endpoint.port, ['info threads']);
    await refused.exit;
    expect(refused.output()).toContain('Remote connection closed');
    expect(refused.output()).not.toContain(`Thread ${s.pid}`);
    expect(plank.stderr()).toContain('refused a second debugger client: gdbserver serves one client at a time');
    expect(await held.request('qfThreadInfo')).toMatch(new RegExp(`^m.*${s.pid.toString(16)}`));
    held.close();
    await waitFor('gdbserver to detach', 5_000, async () => (await kernelView(s.pid)).tracerPid === 0);
    await servesUntraced(s, 200);
  }, 60_000);

  for (const how of ['client killed', 'plank SIGTERM'] as const) {
    it(`${how} while the target runs with a breakpoint inserted: breakpoint removed, target detached and serving`, async () => {
      const { s, plank } = await cPlank();
      await servesUntraced(s, 100);
      const file = path.join(EXAMPLES, 'c-service/server.c');
      const client = gdb(plank.endpoint.port, [`break ${file}:${await markerLine(file)}`, 'continue']);
      // Traced and running again: gdb attached (tracing stop), inserted the breakpoint and continued.
      await waitFor('gdb to continue the target', 15_000, async () => {
        const view = await kernelView(s.pid);
        return view.tracerPid !== 0 && view.state === 'S';
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (how === 'client killed') {
        client.kill();
        await waitFor('gdbserver to detach', 10_000, async () => (await kernelView(s.pid)).tracerPid === 0);
      } else {
        expect(await plank.stop()).toEqual({ code: 0, signal: null });
      }
      // A request reaches the breakpoint's line: with the breakpoint left in its code the target dies of SIGTRAP.
      await servesUntraced(s, 400);
      expect(isAlive(s.pid)).toBe(true);
      if (how === 'client killed') {
        expect(plank.child.exitCode).toBeNull();
        expect(await gdbBatch(plank.endpoint.port, ['info threads', 'detach'])).toMatch(new RegExp(`Thread ${s.pid}\\.${s.pid} `));
      }
    }, 60_000);
  }

  it("a client's kill (gdb `kill`; cpptools' Stop on its launch configuration) detaches instead: the target keeps serving", async () => {
    const { s, plank } = await cPlank();
    const file = path.join(EXAMPLES, 'c-service/server.c');
    const output = await gdbBatch(plank.endpoint.port, [`break ${file}:${await markerLine(file)}`, 'kill']);
    expect(output).toMatch(/\[Inferior 1 \(process \d+\) killed\]/);
    await waitFor('gdbserver to detach', 10_000, async () => (await kernelView(s.pid)).tracerPid === 0);
    await servesUntraced(s, 300);
    expect(isAlive(s.pid)).toBe(true);
    expect(plank.child.exitCode).toBeNull();
    expect(await gdbBatch(plank.endpoint.port, ['info threads', 'detach'])).toMatch(new RegExp(`Thread ${s.pid}\\.${s.pid} `));
  }, 60_000);

  it('tells the client (and the log) when the target has another tracer by the time it connects', async () => {
    const { s, plank } = await cPlank();
    const other = spawn('gdbserver', ['--attach', '127.0.0.1:0', String(s.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    clients.push({ kill: () => void other.kill('SIGKILL') });
    await waitFor('the other gdbserver to attach', 10_000, async () => (await kernelView(s.pid)).tracerPid === other.pid);
    const refused = gdb(plank.endpoint.port, ['info threads']);
    await refused.exit;
    expect(refused.output()).toContain(`Remote failure reply: E.gdb: process ${s.pid} is already traced by process ${other.pid} (gdbserver --attach 127.0.0.1:0 ${s.pid})`);
    expect(plank.stderr()).toContain('gdbserver could not attach for a debugger client');
    other.kill('SIGTERM');
    await waitFor('the other gdbserver to end', 5_000, async () => (await kernelView(s.pid)).tracerPid === 0);
    // The plank is still there for the next client.
    expect(await gdbBatch(plank.endpoint.port, ['info threads', 'detach'])).toMatch(new RegExp(`Thread ${s.pid}\\.${s.pid} `));
  }, 60_000);
});
