// Runs the built CLIs (dist/) as a user would: real processes, real ports, real files.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listen, type Listening } from '../../src/core/listen.js';
import { spawnServer, type SpawnedServer } from '../../src/core/spawn-server.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const LOOP_BIN = path.join(ROOT, 'dist/cli/loop/main.js');
export const LOOPCTL_BIN = path.join(ROOT, 'dist/cli/loopctl/main.js');

export interface RunningLoop extends SpawnedServer {
  dataDir: string;
}

/** Starts `loop serve` on port 0 in a fresh data directory; `stop` also removes the directory. */
export async function startLoopServe(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningLoop> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'loop-e2e-'));
  const server = await spawnServer([LOOP_BIN, 'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...args], { name: 'loop serve', env });
  return {
    ...server,
    dataDir,
    stop: async (graceMs?: number) => {
      const code = await server.stop(graceMs);
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
