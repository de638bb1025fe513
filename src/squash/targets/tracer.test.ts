// Who holds a process, read from the real /proc: an untraced process, one a gdbserver of ours traces (no
// plank above it), and kernel threads.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { assertTraceable, isKernelThreadPid, isPlankCommand, readTracer } from './tracer.js';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const p of started.splice(0).reverse()) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

function start(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  return child;
}

describe('readTracer', () => {
  it('is undefined for a process nobody traces', () => {
    const sleeper = start('sleep', ['30']);
    expect(readTracer(sleeper.pid!)).toBeUndefined();
    expect(() => assertTraceable('gdb', sleeper.pid!)).not.toThrow();
  });

  it.skipIf(!existsSync('/usr/bin/gdbserver'))('names the tracer and its command line; no plank when none is above it', async () => {
    const sleeper = start('sleep', ['30']);
    const gdbserver = start('gdbserver', ['--attach', '127.0.0.1:0', String(sleeper.pid)]);
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: gdbserver.stderr! });
      lines.on('line', (line) => /Listening on port/.test(line) && resolve());
      gdbserver.once('exit', (code) => reject(new Error(`gdbserver exited ${code}`)));
    });
    const tracer = readTracer(sleeper.pid!);
    expect(tracer).toEqual({ pid: gdbserver.pid, command: `gdbserver --attach 127.0.0.1:0 ${sleeper.pid}` });
    expect(() => assertTraceable('dlv', sleeper.pid!)).toThrow(expect.objectContaining({
      code: 'CONFLICT',
      message: `dlv: process ${sleeper.pid} is already traced by process ${gdbserver.pid} (gdbserver --attach 127.0.0.1:0 ${sleeper.pid}); a process has only one tracer`,
      hint: `detach that debugger (or end process ${gdbserver.pid}) first`,
    }));
  });
});

describe('kernel threads', () => {
  it('kthreadd (PID 2) is one, we are not', () => {
    expect(isKernelThreadPid(2)).toBe(true);
    expect(isKernelThreadPid(process.pid)).toBe(false);
    expect(() => assertTraceable('gdb', 2)).toThrow(expect.objectContaining({ code: 'RUNTIME_UNSUPPORTED', message: 'process 2 ([kthreadd]) is a kernel thread: it has no user space for a debugger to attach to' }));
  });
});

it.each([
  [['node', '/opt/squash/dist/cli/plank/main.js', '--pid', '1'], true],
  [['/usr/local/bin/plank', '--pid', '1'], true],
  [['gdbserver', '--attach', '127.0.0.1:0', '1'], false],
])('isPlankCommand(%j) is %s', (argv, expected) => expect(isPlankCommand(argv)).toBe(expected));
