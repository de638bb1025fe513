// Runs the built CLIs (dist/) as a user would: real processes, real ports, real files.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { listen, type Listening } from '../../src/core/listen.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const LOOP_BIN = path.join(ROOT, 'dist/cli/loop/main.js');
export const LOOPCTL_BIN = path.join(ROOT, 'dist/cli/loopctl/main.js');

export interface RunningProcess {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/**
 * Starts `loop serve` on port 0 and resolves once it announces its address on stdout (its readiness
 * line, part of the CLI's contract).
 */
export async function startLoopServe(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningProcess & { dataDir: string }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'loop-e2e-'));
  const child = spawn(process.execPath, [LOOP_BIN, 'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`loop serve exited with ${code} before listening:\n${stderr}`)));
  });
  return {
    url,
    child,
    dataDir,
    stderr: () => stderr,
    stop: async () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const code = await exited;
      await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(bin: string, args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

export const loopctl = (server: string, args: string[], options: { stdin?: string } = {}): Promise<CliResult> =>
  runCli(LOOPCTL_BIN, ['--server', server, ...args], options);

/** A real HTTP service on loopback whose answer the test controls. */
export async function startService(answer: (req: http.IncomingMessage, body: string) => { status: number; headers?: Record<string, string>; body: string }): Promise<Listening & { requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> }> {
  const requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const a = answer(req, body);
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body);
    });
  });
  const l = await listen(server, { host: '127.0.0.1', port: 0 });
  return Object.assign(l, { requests });
}
