// Two processes on the proxy CPU at the same moment, each under its own wrk (POST, 1 KiB body), compared by
// CPU time per request (from /proc): what gateway-ab and the service-tap suite measure. Side by side, both
// see the same machine; solo windows of two targets never do on this VM.
import { busyText, cpuTicksOfTree, perRequestUs, usPerRequest, watchingCpu, type CpuPlan } from './cpu-pinning.js';
import { runWrk } from './wrk-load.js';

export interface Contender {
  name: string;
  url: string;
  /** The process (and its descendants) whose CPU time counts. */
  pid: number;
  /** Resolves once work the last window left behind (a tap's queue) is done, so it does not eat into the next. */
  settled?: () => Promise<void>;
}

export interface HeadToHeadSettings {
  wrk: string;
  /** wrk's Lua script (postScript). */
  script: string;
  cpus: CpuPlan;
  windows: number;
  seconds: number;
  /** Seconds of warm-up: each side alone, then both together for two thirds of it. */
  warmupSeconds?: number;
  log?: (line: string) => void;
}

export interface HeadToHeadWindow {
  /** A's CPU time per request over B's: B's throughput relative to A's at equal CPU. */
  ratio: number;
  /** Share of the proxy CPU busy during the window, when readable. */
  busy: number | undefined;
  aUsPerRequest: number;
  bUsPerRequest: number;
}

export async function headToHead(a: Contender, b: Contender, settings: HeadToHeadSettings): Promise<HeadToHeadWindow[]> {
  const { wrk, script, cpus, windows, seconds } = settings;
  const log = settings.log ?? (() => {});
  const load = (c: Contender, secs: number) => runWrk(wrk, c.url, { threads: 1, connections: 32, seconds: secs, script, pin: { taskset: cpus.taskset, cpus: cpus.load } });
  const settled = async (): Promise<void> => {
    for (const c of [a, b]) await c.settled?.();
  };
  const warmup = settings.warmupSeconds ?? 15;
  log(`warming up: ${warmup} s each side alone, then ${Math.round((warmup * 2) / 3)} s together`);
  for (const c of [a, b]) {
    await load(c, warmup);
    await settled();
  }
  await Promise.all([load(a, Math.round((warmup * 2) / 3)), load(b, Math.round((warmup * 2) / 3))]);
  await settled();
  const out: HeadToHeadWindow[] = [];
  for (let w = 1; w <= windows; w++) {
    await Promise.all([load(a, 2), load(b, 2)]);
    const before = await Promise.all([cpuTicksOfTree(a.pid), cpuTicksOfTree(b.pid)]);
    const { value: [ra, rb], busy } = await watchingCpu(cpus.proxy, () => Promise.all([load(a, seconds), load(b, seconds)]));
    const after = await Promise.all([cpuTicksOfTree(a.pid), cpuTicksOfTree(b.pid)]);
    if (before.includes(undefined) || after.includes(undefined)) throw new Error(`the CPU times of ${a.name} and ${b.name} are not readable from /proc`);
    const ticksA = after[0]! - before[0]!;
    const ticksB = after[1]! - before[1]!;
    const window: HeadToHeadWindow = {
      ratio: ticksA / Math.max(1, ra.requests) / (ticksB / Math.max(1, rb.requests)),
      busy,
      aUsPerRequest: usPerRequest(ticksA, ra.requests),
      bUsPerRequest: usPerRequest(ticksB, rb.requests),
    };
    out.push(window);
    log(
      `window ${w}/${windows}: ${b.name}/${a.name} ${window.ratio.toFixed(3)} | ${a.name} ${perRequestUs(ticksA, ra.requests)}, ${Math.round(ra.requestsPerSec)} req/s | ${b.name} ${perRequestUs(ticksB, rb.requests)}, ${Math.round(rb.requestsPerSec)} req/s${busyText(busy)}`,
    );
    await settled();
  }
  return out;
}
