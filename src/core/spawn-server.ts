// Runs one of our server CLIs as a child process and waits for its readiness line
// ("… listening on http://host:port …", printed on stdout once the socket is bound). Used by the demo
// world, the benchmarks and the end-to-end tests. Children are started with LOOP_EXIT_WITH_STDIN=1 and a
// stdin pipe, so they shut down when the parent goes away, even if the parent is killed outright.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { LoopError } from './errors.js';

export interface SpawnedServer {
  /** The URL from the readiness line. */
  url: string;
  child: ChildProcess;
  /** Everything the child wrote on stderr so far (its logs). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnServerOptions {
  name: string;
  env?: NodeJS.ProcessEnv;
  /** Copy the child's stderr to ours (the demo does; tests keep it for failure messages). */
  inheritStderr?: boolean;
  startTimeoutMs?: number;
}

export async function spawnServer(args: string[], options: SpawnServerOptions): Promise<SpawnedServer> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...options.env, LOOP_EXIT_WITH_STDIN: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
    if (options.inheritStderr) process.stderr.write(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new LoopError('INTERNAL', `${options.name} did not start within ${options.startTimeoutMs ?? 15_000} ms:\n${stderr}`));
    }, options.startTimeoutMs ?? 15_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /listening on (https?:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      // With its stderr copied to ours, the child's own error is already on screen: not again.
      const said = options.inheritStderr ? ' (its error is above)' : `:\n${stderr.trim()}`;
      reject(new LoopError('INTERNAL', `${options.name} exited with code ${code} before it was ready${said}`));
    });
  });
  let stopping: Promise<number | null> | undefined;
  return {
    url,
    child,
    stderr: () => stderr,
    stop(graceMs = 5_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      })();
      return stopping;
    },
  };
}

/**
 * In a child started by `spawnServer`: calls `shutdown` when the parent closes our stdin (it exited or
 * was killed). A no-op unless LOOP_EXIT_WITH_STDIN=1, so interactive use is unaffected.
 */
export function exitWithParent(env: NodeJS.ProcessEnv, shutdown: () => void): void {
  if (env.LOOP_EXIT_WITH_STDIN !== '1') return;
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.resume();
}
