// A/B of two gateway builds, head to head, for trying a change before a full `npm run bench -- gateway`
// (not a test, and it writes nothing: it prints each window, the median, and how busy the proxy's CPU was,
// since a ratio taken with the proxy under the bench's 90% busy reads high). Both gateways run on the
// proxy's CPU at the same moment, each under its own wrk (POST, 1 KiB body) against the same upstream, and
// each side's CPU time per request comes from /proc, as in the gateway bench's head-to-head checks.
//
//   npm run build && node dist/bench/gateway-ab.js --b-dist .ab-dist --b-match true
//
// A side is a dist directory (default: this build) and a TapConfig match (none: tap off). A build to compare
// is a copy of dist *inside the repository*, for node_modules (`.ab-dist*` is git-ignored), e.g. `git stash
// && npx tsc -p tsconfig.build.json --outDir .ab-dist && git stash pop`. A tap-on side ships to its own `loop
// serve` on the load CPU, as in the bench. The ratio printed is B's throughput relative to A's: A's CPU time
// per request over B's. Trust medians of 8 windows or more, and read them against a control: with the same
// directory on both sides the ratio read 1.002 (0.97–1.05 over 10 windows) on this 2-core VM, but a B side that
// was a byte-for-byte copy of A's dist in another directory read 1.035 (1.02–1.06): where a build is loaded
// from moves the ratio by a few %. So compare a variant with a plain copy measured the same way (`cp -r dist
// .ab-dist-ctl`: A = dist against B = .ab-dist-ctl, then against B = the variant), not with 1.0. (`.ab-dist*` is
// also left out of eslint.)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pinTree, planCpus } from './cpu-pinning.js';
import { MIN_PROXY_BUSY, summarize } from './gateway-report.js';
import { startUpstream } from './gateway-targets.js';
import type * as Targets from './gateway-targets.js';
import { headToHead, type Contender } from './head-to-head.js';
import { findExecutable, postScript } from './wrk-load.js';

const DIST = path.resolve(import.meta.dirname, '..');

const HELP = `usage: node dist/bench/gateway-ab.js [options]
  --a-dist DIR, --b-dist DIR     dist directories of the two sides (default: this build)
  --a-match EXPR, --b-match EXPR TapConfig match of each side's tap; empty or absent: tap off
  --a-args ARGS, --b-args ARGS   extra \`loop gateway\` arguments, space-separated (e.g. "--server node")
  --windows N                    measured windows (default 8)
  --seconds S                    seconds per window (default 5)`;

interface Side {
  name: string;
  gateway: Targets.RunningTarget;
  loopServer?: Targets.RunningTarget;
  targets: typeof Targets;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'a-dist': { type: 'string', default: DIST },
      'b-dist': { type: 'string', default: DIST },
      'a-match': { type: 'string', default: '' },
      'b-match': { type: 'string', default: '' },
      'a-args': { type: 'string', default: '' },
      'b-args': { type: 'string', default: '' },
      windows: { type: 'string', default: '8' },
      seconds: { type: 'string', default: '5' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const windows = Number(values.windows);
  const seconds = Number(values.seconds);
  if (!Number.isInteger(windows) || windows < 1) throw new Error(`--windows: expected a whole number ≥ 1, got "${values.windows}"`);
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`--seconds: expected a whole number ≥ 1, got "${values.seconds}"`);
  const wrk = await findExecutable('wrk');
  if (!wrk) throw new Error('wrk is not installed (apt-get install -y wrk)');
  const cpus = await planCpus(process.env);
  if (!cpus) throw new Error('needs two CPUs and taskset to pin the gateways apart from the load');

  const dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-ab-'));
  const running: Targets.RunningTarget[] = [];
  const pinned = async (t: Targets.RunningTarget, cpu: string): Promise<Targets.RunningTarget> => {
    running.push(t);
    await pinTree(cpus.taskset, t.pid, cpu);
    return t;
  };
  try {
    const script = path.join(dir, 'post.lua');
    await writeFile(script, postScript(1024));
    const upstream = await pinned(await startUpstream(), cpus.load);
    const side = async (name: string, dist: string, match: string, args: string): Promise<Side> => {
      const targets = (await import(path.join(path.resolve(dist), 'bench/gateway-targets.js'))) as typeof Targets;
      const extra = args.split(' ').filter(Boolean);
      if (!match) return { name, targets, gateway: await pinned(await targets.startGateway(upstream.url, undefined, 0, extra), cpus.proxy) };
      const loopServer = await pinned(await targets.startLoopServer(await mkdtemp(path.join(dir, name))), cpus.load);
      await targets.putTapConfig(loopServer.url, name.toLowerCase(), match);
      return { name, targets, loopServer, gateway: await pinned(await targets.startGateway(upstream.url, loopServer.url, 1, extra), cpus.proxy) };
    };
    const a = await side('A', values['a-dist'], values['a-match'], values['a-args']);
    const b = await side('B', values['b-dist'], values['b-match'], values['b-args']);
    // What a tap-on side queued is shipped before the next window, so it does not eat into that window's CPU.
    const contender = (s: Side): Contender => ({
      name: s.name,
      url: s.gateway.url,
      pid: s.gateway.pid,
      ...(s.loopServer
        ? {
            settled: () =>
              s.targets.waitFor(async () => s.targets.metricValue(await s.targets.metricsText(s.gateway.adminUrl!), 'loop_tap_queue_depth') === 0, `side ${s.name}'s tap queue to drain`, 60_000),
          }
        : {}),
    });
    const results = await headToHead(contender(a), contender(b), { wrk, script, cpus, windows, seconds, log: (line) => process.stdout.write(`${line}\n`) });
    const ratios = results.map((w) => w.ratio);
    // As in the bench: below MIN_PROXY_BUSY the load side, not the gateways, set the pace, and the ratio reads high.
    const busyShares = results.flatMap((w) => (w.busy === undefined ? [] : [w.busy]));
    const spread = summarize(ratios)!;
    const busy = summarize(busyShares);
    process.stdout.write(
      `B's throughput relative to A's (A's CPU per request over B's): median ${spread.median.toFixed(3)}, range ${spread.min.toFixed(3)}–${spread.max.toFixed(3)}, ${windows} windows of ${seconds} s${busy ? `; proxy CPU ${(busy.median * 100).toFixed(0)}% busy (median)${busy.median < MIN_PROXY_BUSY ? `, under the bench's ${MIN_PROXY_BUSY * 100}%: the load side limited both, read the ratio as high` : ''}` : ''}\n`,
    );
    return 0;
  } finally {
    for (const t of running.reverse()) await t.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`gateway-ab: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
