// Builds and starts the sample services in examples/ (one per runtime) as real processes on loopback:
// the targets the Squash tests and the squash benchmark attach to. Each prints `listening on 127.0.0.1:PORT` once bound.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { Runtime } from '../squash-types.js';

/** examples/ at the repository root (the same depth from src/ and from dist/). */
export const EXAMPLES = path.resolve(import.meta.dirname, '../../../examples');

export interface BuiltSamples {
  /** Directory holding the compiled Go and C binaries. */
  dir: string;
  goBinary: string;
  cBinary: string;
  remove(): Promise<void>;
}

/** Compiles the Go sample (optimisations off, for Delve) and the C sample (-g -O0) into a temp dir. */
export async function buildSamples(): Promise<BuiltSamples> {
  const run = promisify(execFile);
  const dir = await mkdtemp(path.join(tmpdir(), 'squash-samples-'));
  const goBinary = path.join(dir, 'goservice');
  const cBinary = path.join(dir, 'cservice');
  await Promise.all([
    run('/usr/bin/go', ['build', '-gcflags=all=-N -l', '-o', goBinary, '.'], {
      cwd: path.join(EXAMPLES, 'go-service'),
      env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOTOOLCHAIN: 'local' },
    }),
    run('gcc', ['-g', '-O0', '-Wall', '-o', cBinary, path.join(EXAMPLES, 'c-service/server.c')]),
  ]);
  return { dir, goBinary, cBinary, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface RunningSample {
  runtime: Runtime;
  pid: number;
  port: number;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM (SIGKILL after 5 s); resolves once the process is gone. */
  stop(): Promise<void>;
}

export interface SampleOptions {
  /** Java only: the JDWP agent address (`127.0.0.1:0` picks a free port, printed by the JVM). */
  jdwpAddress?: string;
  startTimeoutMs?: number;
}

/** The command line of each sample; Go and C need `buildSamples` first. */
export function sampleCommand(runtime: Runtime, built: BuiltSamples | undefined, options: SampleOptions = {}): { cmd: string; args: string[]; cwd: string } {
  const need = (): BuiltSamples => {
    if (!built) throw new Error(`the ${runtime} sample must be built first (buildSamples)`);
    return built;
  };
  switch (runtime) {
    case 'go':
      return { cmd: need().goBinary, args: ['0'], cwd: path.join(EXAMPLES, 'go-service') };
    case 'c':
      return { cmd: need().cBinary, args: ['0'], cwd: path.join(EXAMPLES, 'c-service') };
    case 'node':
      // --inspect-port=0: the inspector SIGUSR1 opens takes a free port instead of 9229, so samples started
      // by test files running side by side never contend for one port (the debugger reads the real port
      // from /proc either way).
      return { cmd: process.execPath, args: ['--inspect-port=0', 'server.js', '0'], cwd: path.join(EXAMPLES, 'node-service') };
    case 'python':
      return { cmd: '/usr/bin/python3', args: ['app.py', '0'], cwd: path.join(EXAMPLES, 'python-service') };
    case 'java':
      return {
        cmd: 'java',
        args: [
          ...(options.jdwpAddress ? [`-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=${options.jdwpAddress}`] : []),
          'PaymentService.java',
          '0',
        ],
        cwd: path.join(EXAMPLES, 'java-service'),
      };
  }
}

/** Starts a sample and resolves once it printed its bound port. */
export async function startSample(runtime: Runtime, built?: BuiltSamples, options: SampleOptions = {}): Promise<RunningSample> {
  const { cmd, args, cwd } = sampleCommand(runtime, built, options);
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORT: '' } });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${runtime} sample did not print its port within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout += `${line}\n`;
      const m = /^listening on 127\.0\.0\.1:(\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${runtime} sample exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${stderr.trim()}`));
    });
  });
  return {
    runtime,
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
