import { afterEach, describe, expect, it } from 'vitest';
import { readTracer } from '../targets/tracer.js';
import { isAlive } from './debugger.js';
import { createPythonDebugger } from './python-debugger.js';
import { dapRequest, elapsed, httpGetText, startTarget, type Target } from './test-targets.test-helper.js';

// Debian's python3 has python3-debugpy; a pyenv `python3` on PATH may not.
const PYTHON = '/usr/bin/python3';

const SERVICE = `
import http.server, socketserver
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"pong")
    def log_message(self, *a): pass
s = socketserver.TCPServer(("127.0.0.1", 0), H)
print("listening", s.server_address[1], flush=True)
s.serve_forever()
`;

describe('python debugger', () => {
  const targets: Target[] = [];
  afterEach(() => {
    for (const t of targets.splice(0)) t.stop();
  });

  it('injects debugpy into a running Python service, answers DAP, and detaches leaving it serving', async () => {
    const target = startTarget(PYTHON, ['-c', SERVICE]);
    targets.push(target);
    const port = Number((await target.line(/listening (\d+)/))[1]);
    const python = createPythonDebugger({ python: PYTHON });
    expect(await python.available()).toEqual({ ok: true });

    const t0 = process.hrtime.bigint();
    const session = await python.attach(target.pid, { timeoutMs: 20_000 });
    console.log(`debugpy attach ready in ${elapsed(t0)} ms`);
    expect(session.endpoint).toMatchObject({ runtime: 'python', protocol: 'dap', host: '127.0.0.1', pid: target.pid });

    const reply = await dapRequest(session.endpoint.port, 'initialize', { adapterID: 'squash', clientID: 'squash-test', linesStartAt1: true, columnsStartAt1: true });
    expect(reply).toMatchObject({ type: 'response', command: 'initialize', success: true });
    expect(await httpGetText(port)).toBe('pong');

    await session.detach();
    await session.ended;
    expect(isAlive(target.pid)).toBe(true);
    expect(await httpGetText(port)).toBe('pong');
  }, 60_000);

  it('lets an injection under way at the timeout finish: the target survives and the attach completes', async () => {
    const python = createPythonDebugger({ python: PYTHON });
    // When, from the call, gdb holds a target during an attach here (debugpy is injected once per process).
    const first = startTarget(PYTHON, ['-c', SERVICE]);
    targets.push(first);
    await first.line(/listening (\d+)/);
    const t0 = Date.now();
    let tracedFrom: number | undefined;
    let tracedUntil = 0;
    const poll = setInterval(() => {
      if (readTracer(first.pid) === undefined) return;
      tracedFrom ??= Date.now() - t0;
      tracedUntil = Date.now() - t0;
    }, 10);
    await (await python.attach(first.pid, { timeoutMs: 20_000 })).detach();
    clearInterval(poll);
    expect(tracedFrom).toBeDefined();

    // A timeout that falls while gdb runs the injection in the target: ending gdb there killed the target
    // (SIGSEGV on return into gdb's frame) or left debugpy loaded with nothing listening.
    const target = startTarget(PYTHON, ['-c', SERVICE]);
    targets.push(target);
    const port = Number((await target.line(/listening (\d+)/))[1]);
    const timeoutMs = Math.round((tracedFrom! + tracedUntil) / 2);
    const session = await python.attach(target.pid, { timeoutMs });
    const reply = await dapRequest(session.endpoint.port, 'initialize', { adapterID: 'squash', clientID: 'squash-test', linesStartAt1: true, columnsStartAt1: true });
    expect(reply).toMatchObject({ type: 'response', command: 'initialize', success: true });
    await session.detach();
    expect(isAlive(target.pid)).toBe(true);
    expect(await httpGetText(port)).toBe('pong');
  }, 90_000);

  it('names the package when debugpy is missing', async () => {
    expect(await createPythonDebugger({ python: '/nonexistent/python3' }).available()).toMatchObject({ ok: false, package: 'python3-debugpy' });
  });
});
