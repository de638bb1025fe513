// The gateway benchmark's load generator: wrk (Debian package `wrk`) with a Lua script that POSTs a 1 KiB
// JSON body, the same settings for every target. Parses what wrk prints: requests/s, the latency
// distribution (`--latency`), and the errors it counts (socket errors, non-2xx/3xx answers).
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { LoopError } from '../core/errors.js';

export interface WrkSettings {
  threads: number;
  connections: number;
  seconds: number;
  /** Path of the Lua script (see `postScript`). */
  script: string;
  /** Runs wrk under `taskset -c <cpus>` (CpuPlan.load). */
  pin?: { taskset: string; cpus: string };
}

export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  /** Latency percentiles in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  /** Socket errors (connect + read + write + timeout) and answers that were not 2xx/3xx. */
  errors: number;
  non2xx: number;
}

/** A wrk Lua script: every request a POST with a 1 KiB JSON-typed body. */
export function postScript(bodyBytes: number): string {
  return [`wrk.method = "POST"`, `wrk.body = string.rep("x", ${bodyBytes})`, `wrk.headers["Content-Type"] = "application/json"`, ''].join('\n');
}

/** The first executable named `name` on PATH or in `extraDirs` (e.g. /usr/sbin, often not on a user's PATH). */
export async function findExecutable(name: string, extraDirs: string[] = []): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const TIME_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `812.00us`, `1.25ms`, `2.01s` → milliseconds. */
export function parseWrkDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new LoopError('INTERNAL', `wrk printed a latency "${text}"; expected a number followed by us, ms, s, m or h`);
  return Number(m[1]) * TIME_UNITS_MS[m[2]!]!;
}

/** Reads wrk's report (run with `--latency`). Throws when a figure the benchmark needs is missing. */
export function parseWrkOutput(output: string): WrkResult {
  const need = (re: RegExp, what: string): string => {
    const m = re.exec(output);
    if (!m) throw new LoopError('INTERNAL', `wrk output has no ${what}:\n${output}`);
    return m[1]!;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  return {
    requestsPerSec: Number(need(/^Requests\/sec:\s+([\d.]+)/m, '"Requests/sec:" line')),
    requests: Number(need(/^\s*(\d+) requests in /m, '"N requests in" line')),
    p50Ms: parseWrkDuration(need(/^\s*50%\s+(\S+)/m, '50% latency (was --latency given?)')),
    p99Ms: parseWrkDuration(need(/^\s*99%\s+(\S+)/m, '99% latency (was --latency given?)')),
    errors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    non2xx,
  };
}

/** Runs wrk against `url` and parses its report. */
export function runWrk(wrkPath: string, url: string, settings: WrkSettings): Promise<WrkResult> {
  const args = [`-t${settings.threads}`, `-c${settings.connections}`, `-d${settings.seconds}s`, '--latency', '-s', settings.script, url];
  return new Promise((resolve, reject) => {
    const [file, argv] = settings.pin ? [settings.pin.taskset, ['-c', settings.pin.cpus, wrkPath, ...args]] : [wrkPath, args];
    execFile(file, argv, { encoding: 'utf8', timeout: (settings.seconds + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) return reject(new LoopError('INTERNAL', `wrk ${args.join(' ')} failed: ${stderr.trim() || err.message}`, { cause: err }));
      try {
        resolve(parseWrkOutput(stdout));
      } catch (parseErr) {
        reject(parseErr instanceof Error ? parseErr : new Error(String(parseErr)));
      }
    });
  });
}
