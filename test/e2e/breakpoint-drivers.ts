// Drives a real debugger client through one breakpoint, the way a user's IDE would, for each protocol Squash
// hands out: arm a breakpoint at a source line, let the caller send the request that hits it, read where the
// target stopped and one local's value, resume, wait for the request to finish, and let go of the
// debugger connection without ending the debugger session (plank's detach does that).
//   go     Delve JSON-RPC (dlv-rpc-client)          node  CDP over WebSocket (undici's WebSocket)
//   python DAP against debugpy (dap-client)          c     gdb's MI against gdbserver
//   java   jdb against the JVM's JDWP port
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'undici';
import { connectDap } from '../../src/squash/debuggers/dap-client.js';
import { connectDlvRpc } from '../../src/squash/debuggers/dlv-rpc-client.js';
import type { DebugEndpoint } from '../../src/squash/squash-types.js';

/** Where the target stopped, as the debugger reports it. */
export interface BreakpointHit {
  functionName: string;
  /** 1-based source line. */
  line: number;
  /** The watched local's value as the debugger prints it (`250`). */
  local: string;
}

export interface BreakpointSpot {
  /** The source file as the debuggee knows it (its path inside a container when it runs in one). */
  file: string;
  /** 1-based. */
  line: number;
  /** The local variable to read when stopped. */
  variable: string;
  /** Called once the breakpoint is armed: send the request that hits it; the promise settles with its answer. */
  trigger: () => Promise<unknown>;
  /** Budget for each wait (stop, reply); default 15 s. */
  timeoutMs?: number;
}

export const BREAKPOINT_MARKER = 'squash:breakpoint';

/** The 1-based line of the first line of `file` holding `marker` (so tests never hard-code line numbers). */
export async function markerLine(file: string, marker = BREAKPOINT_MARKER): Promise<number> {
  const index = (await readFile(file, 'utf8')).split('\n').findIndex((l) => l.includes(marker));
  if (index < 0) throw new Error(`${file} has no line marked "${marker}"`);
  return index + 1;
}

function timeout<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

/** Starts the caller's request; a failure surfaces where the driver awaits it, not as an unhandled rejection. */
function fire(spot: BreakpointSpot): Promise<unknown> {
  const reply = spot.trigger();
  reply.catch(() => undefined);
  return reply;
}

// ---------------------------------------------------------------------------------------------------- go

interface DlvThread {
  file: string;
  line: number;
  function?: { name: string };
  goroutineID: number;
  breakPoint?: { id: number } | null;
}
interface DlvState {
  State: { exited?: boolean; currentThread?: DlvThread };
}

/** Delve JSON-RPC: halt, CreateBreakpoint, continue until it stops there, Eval the local, continue. */
export async function breakInGo(endpoint: DebugEndpoint, spot: BreakpointSpot): Promise<BreakpointHit> {
  const ms = spot.timeoutMs ?? 15_000;
  const rpc = await connectDlvRpc(endpoint.host, endpoint.port, ms);
  try {
    // Delve serves with --continue: breakpoints can only be set while the target is halted.
    await timeout('dlv halt', ms, rpc.call('RPCServer.Command', { name: 'halt' }));
    const created = await timeout('dlv CreateBreakpoint', ms, rpc.call<{ Breakpoint: { id: number } }>('RPCServer.CreateBreakpoint', { Breakpoint: { file: spot.file, line: spot.line } }));
    // `continue` answers only when the target stops again, which the request causes.
    const stopped = rpc.call<DlvState>('RPCServer.Command', { name: 'continue' });
    const reply = fire(spot);
    const state = (await timeout('dlv continue to the breakpoint', ms, stopped)).State;
    const thread = state.currentThread;
    if (state.exited || !thread) throw new Error(`dlv: the target did not stop at a breakpoint: ${JSON.stringify(state)}`);
    if (thread.breakPoint?.id !== created.Breakpoint.id) throw new Error(`dlv: stopped, but not at our breakpoint: ${JSON.stringify(thread)}`);
    const { Variable } = await timeout(
      'dlv Eval',
      ms,
      rpc.call<{ Variable: { value: string } }>('RPCServer.Eval', {
        Scope: { GoroutineID: thread.goroutineID, Frame: 0 },
        Expr: spot.variable,
        Cfg: { FollowPointers: true, MaxVariableRecurse: 1, MaxStringLen: 64, MaxArrayValues: 64, MaxStructFields: -1 },
      }),
    );
    await timeout('dlv ClearBreakpoint', ms, rpc.call('RPCServer.ClearBreakpoint', { Id: created.Breakpoint.id }));
    // Answers only at the next stop (plank's halt at detach); the connection closes before that.
    rpc.call('RPCServer.Command', { name: 'continue' }).catch(() => undefined);
    await timeout('the request after resuming', ms, reply);
    return { functionName: thread.function?.name ?? '', line: thread.line, local: Variable.value };
  } finally {
    rpc.close();
  }
}

// -------------------------------------------------------------------------------------------------- node

interface CdpPaused {
  reason: string;
  hitBreakpoints?: string[];
  callFrames: { callFrameId: string; functionName: string; location: { lineNumber: number } }[];
}

/** CDP over a WebSocket with events (cdp-client.ts answers commands only). */
async function openCdp(url: string, ms: number) {
  const ws = new WebSocket(url);
  await timeout(`CDP connect to ${url}`, ms, new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`CDP: cannot connect to ${url}`)), { once: true });
  }));
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const eventWaiters = new Set<(method: string, params: unknown) => void>();
  ws.addEventListener('message', (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } };
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`CDP: ${msg.error.message}`));
      else p?.resolve(msg.result);
    } else if (msg.method) for (const w of [...eventWaiters]) w(msg.method, msg.params);
  });
  ws.addEventListener('close', () => {
    for (const p of pending.values()) p.reject(new Error('CDP: connection closed'));
    pending.clear();
  });
  return {
    send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      const id = nextId++;
      const result = new Promise<T>((resolve, reject) => pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
      ws.send(JSON.stringify({ id, method, params }));
      return timeout(`CDP ${method}`, ms, result);
    },
    /** The next event named `method` after this call. */
    next<T>(method: string): Promise<T> {
      return timeout(`CDP ${method} event`, ms, new Promise<T>((resolve) => {
        const w = (m: string, params: unknown): void => {
          if (m !== method) return;
          eventWaiters.delete(w);
          resolve(params as T);
        };
        eventWaiters.add(w);
      }));
    },
    close: () => ws.close(),
  };
}

/** CDP: Debugger.setBreakpointByUrl, Debugger.paused, evaluateOnCallFrame, resume. */
export async function breakInNode(endpoint: DebugEndpoint, spot: BreakpointSpot): Promise<BreakpointHit> {
  const ms = spot.timeoutMs ?? 15_000;
  if (!endpoint.websocketUrl) throw new Error(`the node endpoint has no websocketUrl: ${JSON.stringify(endpoint)}`);
  const cdp = await openCdp(endpoint.websocketUrl, ms);
  try {
    await cdp.send('Debugger.enable');
    // CDP lines are 0-based; an ES module's URL is its file: URL.
    const { breakpointId } = await cdp.send<{ breakpointId: string; locations: unknown[] }>('Debugger.setBreakpointByUrl', { url: pathToFileURL(spot.file).href, lineNumber: spot.line - 1 });
    const paused = cdp.next<CdpPaused>('Debugger.paused');
    const reply = fire(spot);
    const stop = await paused;
    const frame = stop.callFrames[0];
    if (!frame || !stop.hitBreakpoints?.includes(breakpointId)) throw new Error(`CDP: paused, but not at our breakpoint: ${JSON.stringify(stop).slice(0, 300)}`);
    const { result, exceptionDetails } = await cdp.send<{ result: { value?: unknown; description?: string }; exceptionDetails?: unknown }>('Debugger.evaluateOnCallFrame', { callFrameId: frame.callFrameId, expression: spot.variable });
    if (exceptionDetails) throw new Error(`CDP: evaluating ${spot.variable} threw: ${JSON.stringify(exceptionDetails).slice(0, 300)}`);
    await cdp.send('Debugger.removeBreakpoint', { breakpointId });
    await cdp.send('Debugger.resume');
    await timeout('the request after resuming', ms, reply);
    await cdp.send('Debugger.disable');
    return { functionName: frame.functionName, line: frame.location.lineNumber + 1, local: String(result.value ?? result.description) };
  } finally {
    cdp.close();
  }
}

// ------------------------------------------------------------------------------------------------ python

/** DAP against debugpy: initialize, attach, setBreakpoints, configurationDone, stopped, stack, scopes, variables. */
export async function breakInPython(endpoint: DebugEndpoint, spot: BreakpointSpot): Promise<BreakpointHit> {
  const ms = spot.timeoutMs ?? 15_000;
  const dap = await connectDap(endpoint.host, endpoint.port, ms);
  try {
    await dap.request('initialize', { clientID: 'squash-e2e', adapterID: 'debugpy', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true }, ms);
    // debugpy answers `attach` only after configurationDone; breakpoints go in once it sends `initialized`.
    const initialized = dap.nextEvent('initialized', undefined, ms);
    const attached = dap.request('attach', { connect: { host: endpoint.host, port: endpoint.port }, justMyCode: false }, ms);
    attached.catch(() => undefined);
    await initialized;
    const { breakpoints } = await dap.request<{ breakpoints: { verified: boolean; line?: number; message?: string }[] }>('setBreakpoints', { source: { path: spot.file }, breakpoints: [{ line: spot.line }] }, ms);
    if (!breakpoints[0]?.verified) throw new Error(`debugpy did not accept the breakpoint at ${spot.file}:${spot.line}: ${JSON.stringify(breakpoints)}`);
    await dap.request('configurationDone', undefined, ms);
    await attached;
    const stoppedEvent = dap.nextEvent<{ reason: string; threadId: number }>('stopped', undefined, ms);
    const reply = fire(spot);
    const stopped = await stoppedEvent;
    if (stopped.reason !== 'breakpoint') throw new Error(`debugpy stopped for "${stopped.reason}", not at the breakpoint`);
    const { stackFrames } = await dap.request<{ stackFrames: { id: number; name: string; line: number }[] }>('stackTrace', { threadId: stopped.threadId, startFrame: 0, levels: 1 }, ms);
    const frame = stackFrames[0];
    if (!frame) throw new Error('debugpy: stopped thread has no stack frame');
    const { scopes } = await dap.request<{ scopes: { name: string; variablesReference: number }[] }>('scopes', { frameId: frame.id }, ms);
    const locals = scopes.find((s) => /locals/i.test(s.name)) ?? scopes[0];
    if (!locals) throw new Error('debugpy: the frame has no scopes');
    const { variables } = await dap.request<{ variables: { name: string; value: string }[] }>('variables', { variablesReference: locals.variablesReference }, ms);
    const variable = variables.find((v) => v.name === spot.variable);
    if (!variable) throw new Error(`debugpy: no local ${spot.variable} among ${variables.map((v) => v.name).join(', ')}`);
    await dap.request('setBreakpoints', { source: { path: spot.file }, breakpoints: [] }, ms);
    await dap.request('continue', { threadId: stopped.threadId }, ms);
    await timeout('the request after resuming', ms, reply);
    await dap.request('disconnect', { restart: false, terminateDebuggee: false }, ms);
    return { functionName: frame.name, line: frame.line, local: variable.value };
  } finally {
    dap.close();
  }
}

// ----------------------------------------------------------------------------------------------------- c

/** An MI c-string field, `name="value"`, from a record. */
function miField(record: string, name: string): string | undefined {
  const m = new RegExp(`${name}="((?:[^"\\\\]|\\\\.)*)"`).exec(record);
  return m ? JSON.parse(`"${m[1]}"`) as string : undefined;
}

/** gdb in MI mode: commands by token, result records matched to them, `*stopped` records kept in order. */
function spawnGdbMi(ms: number) {
  const child = spawn('gdb', ['--interpreter=mi3', '-nx', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let transcript = '';
  let token = 100;
  const results = new Map<number, string>();
  const stops: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    transcript += `${line}\n`;
    const result = /^(\d+)\^(.*)$/.exec(line);
    if (result) results.set(Number(result[1]), result[2]!);
    else if (line.startsWith('*stopped')) stops.push(line);
    for (const w of [...waiters]) w();
  });
  child.stderr.on('data', (c: Buffer) => (transcript += c.toString()));
  child.once('exit', () => {
    for (const w of [...waiters]) w();
  });
  const until = <T>(what: string, ready: () => T | undefined): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const value = ready();
        if (value !== undefined) done(undefined, value);
        else if (child.exitCode !== null || child.signalCode !== null) done(new Error(`gdb exited waiting for ${what}:\n${transcript.slice(-1500)}`));
      };
      const done = (err?: Error, value?: T): void => {
        clearTimeout(t);
        waiters.delete(check);
        if (err) reject(err);
        else resolve(value as T);
      };
      const t = setTimeout(() => done(new Error(`gdb: no ${what} within ${ms} ms:\n${transcript.slice(-1500)}`)), ms);
      waiters.add(check);
      check();
    });
  return {
    /** Runs an MI command; resolves with its result record (`done,bkpt={...}`), rejects on `^error`. */
    async command(mi: string): Promise<string> {
      const t = token++;
      child.stdin.write(`${t}${mi}\n`);
      const result = await until(`result for ${mi}`, () => results.get(t));
      if (result.startsWith('error')) throw new Error(`gdb: ${mi} failed: ${result}`);
      return result;
    },
    /** How many `*stopped` records arrived so far: pass it to `stop` to wait for the next one. */
    stopsSeen: () => stops.length,
    stop: (index: number): Promise<string> => until('*stopped record', () => stops[index]),
    async quit(): Promise<void> {
      if (child.exitCode === null && child.signalCode === null) child.stdin.end('-gdb-exit\n');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * Real gdb (MI) against gdbserver: target remote, break FILE:LINE, continue, the `*stopped` record's frame,
 * print the local, continue; then interrupt and disconnect, leaving gdbserver (plank's) to detach.
 */
export async function breakInC(endpoint: DebugEndpoint, spot: BreakpointSpot): Promise<BreakpointHit> {
  const ms = spot.timeoutMs ?? 15_000;
  const gdb = spawnGdbMi(ms);
  try {
    await gdb.command('-gdb-set confirm off');
    await gdb.command('-gdb-set pagination off');
    // Libraries are the same files here: read them locally instead of over the remote protocol.
    await gdb.command('-gdb-set sysroot /');
    await gdb.command('-gdb-set debuginfod enabled off');
    // Without async MI, gdb reads no command while the target runs, so it could not be interrupted.
    await gdb.command('-gdb-set mi-async on');
    // gdbserver attaches (stopping the target) when the client connects: connecting reports that stop.
    const attached = gdb.stopsSeen();
    await gdb.command(`-target-select remote ${endpoint.host}:${endpoint.port}`);
    await gdb.stop(attached);
    const number = miField(await gdb.command(`-break-insert ${spot.file}:${spot.line}`), 'number');
    const hitAt = gdb.stopsSeen();
    await gdb.command('-exec-continue');
    const reply = fire(spot);
    const stopped = await gdb.stop(hitAt);
    if (miField(stopped, 'reason') !== 'breakpoint-hit' || miField(stopped, 'bkptno') !== number) throw new Error(`gdb stopped, but not at our breakpoint: ${stopped}`);
    const value = miField(await gdb.command(`-data-evaluate-expression ${spot.variable}`), 'value') ?? '';
    await gdb.command(`-break-delete ${number}`);
    await gdb.command('-exec-continue');
    await timeout('the request after resuming', ms, reply);
    // Interrupt to disconnect (gdb refuses while the target runs). gdbserver's -exec-interrupt signals the
    // target's process group, which fails for a target that is no group leader (the samples share the test's
    // group: gdbserver warns "Sending SIGINT to process group of pid N failed"): deliver the ^C to the process
    // itself. gdb does not pass SIGINT on, so the service never sees it.
    const interruptedAt = gdb.stopsSeen();
    process.kill(endpoint.pid, 'SIGINT');
    const interrupted = await gdb.stop(interruptedAt);
    if (miField(interrupted, 'signal-name') !== 'SIGINT') throw new Error(`gdb: expected the SIGINT stop, got ${interrupted}`);
    // Disconnect, not detach: the plank, not the client, ends the gdbserver session, so it is plank's
    // detach (on the client's disconnect) that must let it run again.
    await gdb.command('-target-disconnect');
    return { functionName: miField(stopped, 'func') ?? '', line: Number(miField(stopped, 'line')), local: value };
  } finally {
    await gdb.quit();
  }
}

// -------------------------------------------------------------------------------------------------- java

/** A line-oriented child (jdb) whose output is awaited by pattern. */
function spawnDialog(command: string, args: string[], name: string) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let transcript = '';
  let unread = '';
  const waiters = new Set<() => void>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const onData = (chunk: Buffer): void => {
    transcript += chunk.toString();
    unread += chunk.toString();
    for (const w of [...waiters]) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.once('exit', () => {
    for (const w of [...waiters]) w();
  });
  return {
    child,
    exited,
    transcript: () => transcript,
    write(line: string): void {
      child.stdin.write(`${line}\n`);
    },
    /** The first match of `re` in output not yet consumed; consumes up to its end. */
    expect(re: RegExp, ms: number): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(unread);
          if (m) {
            unread = unread.slice(m.index + m[0].length);
            return done(undefined, m);
          }
          if (child.exitCode !== null || child.signalCode !== null) done(new Error(`${name} exited waiting for ${re}:\n${transcript.slice(-1500)}`));
        };
        const done = (err?: Error, m?: RegExpExecArray): void => {
          clearTimeout(t);
          waiters.delete(check);
          if (err) reject(err);
          else resolve(m!);
        };
        const t = setTimeout(() => done(new Error(`${name}: no output matching ${re} within ${ms} ms:\n${transcript.slice(-1500)}`)), ms);
        waiters.add(check);
        check();
      });
    },
    async quit(line: string): Promise<void> {
      if (child.exitCode === null && child.signalCode === null && child.stdin.writable) child.stdin.end(`${line}\n`);
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * jdb against JDWP: `stop at Class:LINE`, the "Breakpoint hit" line (method and line), `print`, `cont`,
 * then `clear` and `exit` (which disconnects; the JVM keeps its JDWP agent and runs on).
 */
export async function breakInJava(endpoint: DebugEndpoint, spot: BreakpointSpot): Promise<BreakpointHit> {
  const ms = spot.timeoutMs ?? 15_000;
  const className = spot.file.replace(/^.*\//, '').replace(/\.java$/, '');
  const jdb = spawnDialog('jdb', ['-attach', `${endpoint.host}:${endpoint.port}`], 'jdb');
  try {
    await jdb.expect(/Initializing jdb \.\.\.\s*\n> /, ms);
    jdb.write(`stop at ${className}:${spot.line}`);
    await jdb.expect(new RegExp(`Set breakpoint ${className}:${spot.line}`), ms);
    const reply = fire(spot);
    const hit = await jdb.expect(/Breakpoint hit: "thread=[^"]*", ([\w$.]+)\(\), line=(\d+)/, ms);
    jdb.write(`print ${spot.variable}`);
    // jdb prints the answer after its prompt: `HTTP-Dispatcher[1]  amount = 4217`.
    const printed = await jdb.expect(new RegExp(`(?:^|\\s)${spot.variable} = (.*)$`, 'm'), ms);
    jdb.write(`clear ${className}:${spot.line}`);
    await jdb.expect(/Removed: breakpoint/, ms);
    jdb.write('cont');
    await timeout('the request after resuming', ms, reply);
    return { functionName: hit[1]!.replace(/^.*\./, ''), line: Number(hit[2]), local: printed[1]!.trim() };
  } finally {
    await jdb.quit('exit');
  }
}
