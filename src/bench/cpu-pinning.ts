// CPU pinning for the gateway benchmark: the proxy under test gets a core of its own, the load generator,
// the upstream and the loop servers share the rest — the usual way to measure a proxy, and on a small box
// the only way to keep the loop server's work (on the load side) from being charged to the proxy's core.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import { LoopError } from '../core/errors.js';
import { findExecutable } from './wrk-load.js';

export interface CpuPlan {
  taskset: string;
  /** CPU list (taskset -c form) for the proxy under test. */
  proxy: string;
  /** CPU list for wrk, the upstream and the loop servers. */
  load: string;
}

/** A plan when taskset exists and there are at least 2 CPUs, unless LOOP_BENCH_PIN=0 says not to pin. */
export async function planCpus(env: NodeJS.ProcessEnv): Promise<CpuPlan | undefined> {
  if (env.LOOP_BENCH_PIN === '0') return undefined;
  const cpus = os.availableParallelism();
  if (cpus < 2) return undefined;
  const taskset = await findExecutable('taskset');
  if (!taskset) return undefined;
  return { taskset, proxy: '0', load: cpus === 2 ? '1' : `1-${cpus - 1}` };
}

/** Pins every thread of `pid` and of its descendants (nginx's workers) to `cpus`. */
export async function pinTree(taskset: string, pid: number, cpus: string): Promise<void> {
  for (const p of [pid, ...(await descendants(pid))]) {
    try {
      await promisify(execFile)(taskset, ['-a', '-p', '-c', cpus, String(p)]);
    } catch (err) {
      throw new LoopError('INTERNAL', `taskset -a -p -c ${cpus} ${p} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

async function descendants(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const children = text.split(/\s+/).filter(Boolean).map(Number);
  const deeper = await Promise.all(children.map(descendants));
  return [...children, ...deeper.flat()];
}

/**
 * CPU time, in clock ticks, that `pid` and its descendants have used so far (user + system, from
 * /proc/PID/stat); undefined when /proc cannot say (not Linux, or the process is gone).
 */
export async function cpuTicksOfTree(pid: number): Promise<number | undefined> {
  let ticks = 0;
  for (const p of [pid, ...(await descendants(pid))]) {
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) return undefined;
    // The command name (field 2) is parenthesized and may hold spaces: fields are counted after its ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]); // utime, stime: fields 14 and 15 of the line
  }
  return ticks;
}

/** Busy and total jiffies of one CPU (`cpu` as taskset names it, a single number), from /proc/stat. */
async function cpuTimes(cpu: string): Promise<{ busy: number; total: number } | undefined> {
  const line = (await readFile('/proc/stat', 'utf8').catch(() => '')).split('\n').find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal …: idle and iowait are the not-busy ones.
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, total };
}

/**
 * Runs `work` and says how busy `cpu` was meanwhile, 0–1 (no `busy` when no CPU is named or /proc/stat
 * cannot say). Under MIN_PROXY_BUSY on the proxy's CPU the load side, not the proxies, set the pace.
 */
export async function watchingCpu<T>(cpu: string | undefined, work: () => Promise<T>): Promise<{ value: T; busy?: number }> {
  const before = cpu === undefined ? undefined : await cpuTimes(cpu);
  const value = await work();
  const after = cpu === undefined ? undefined : await cpuTimes(cpu);
  return before && after ? { value, busy: (after.busy - before.busy) / Math.max(1, after.total - before.total) } : { value };
}

/** " | proxy CPU N% busy" for a log line, or nothing. */
export const busyText = (busy: number | undefined): string => (busy !== undefined ? ` | proxy CPU ${(busy * 100).toFixed(0)}% busy` : '');

/** Linux's USER_HZ, the unit of /proc's CPU times (for µs per request in logs: ratios need no unit). */
const TICKS_PER_SECOND = 100;

/** `ticks` of CPU time spread over `requests`, as "N µs CPU/request". */
/** CPU microseconds per request from clock ticks. */
export const usPerRequest = (ticks: number, requests: number): number => (ticks * 1e6) / TICKS_PER_SECOND / Math.max(1, requests);
export const perRequestUs = (ticks: number, requests: number): string => `${usPerRequest(ticks, requests).toFixed(0)} µs CPU/request`;
