// `npm run bench [-- SUITE…]`: runs the benchmark suites (all of them without arguments) and updates
// BENCHMARKS.md: the sections of the suites that ran are replaced, the others kept as they were. Every
// figure that has a target is a ratio or a rate measured against a baseline taken in the same run.
// Suites: `core` (see core-suite.ts for its LOOP_BENCH_* variables), `gateway` (gateway-bench.ts),
// `service-tap` (service-tap-bench.ts: a Node service tapping itself) and `squash` (squash-bench.ts:
// command-to-debugger-ready per runtime).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeBenchmarks, type SuiteSection } from './benchmarks-file.js';
import { coreSuite } from './core-suite.js';
import { gatewayBench, settingsFromEnv } from './gateway-bench.js';
import { renderGatewaySection } from './gateway-report.js';
import { serviceTapBench, serviceTapSettingsFromEnv } from './service-tap-bench.js';
import { renderServiceTapSection } from './service-tap-report.js';
import { squashBench, squashSettingsFromEnv } from './squash-bench.js';
import { renderSquashSection } from './squash-report.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FILE = path.join(ROOT, 'BENCHMARKS.md');
const log = (s: string): void => {
  process.stderr.write(s + '\n');
};

interface Suite extends SuiteSection {
  run(log: (s: string) => void): Promise<string[]>;
}

const SUITES: Suite[] = [
  { name: 'core', heading: '## Loop core', run: coreSuite },
  { name: 'gateway', heading: '## Gateway', run: async (l) => renderGatewaySection(await gatewayBench(settingsFromEnv(process.env), l)) },
  { name: 'service-tap', heading: '## Service tap', run: async (l) => renderServiceTapSection(await serviceTapBench(serviceTapSettingsFromEnv(process.env), l)) },
  { name: 'squash', heading: '## Squash', run: async (l) => renderSquashSection(await squashBench(squashSettingsFromEnv(process.env), l)) },
];

const HEADER = [
  '# Benchmarks',
  '',
  'Reproduce: `npm run bench` runs every suite; `npm run bench -- core`, `-- gateway`, `-- service-tap` or `-- squash` runs one and leaves the others\' sections as they were.',
  'Needs `npm ci`; the gateway and service-tap suites need wrk, and nginx for the gateway\'s rows (`apt-get install -y wrk nginx`); PostgreSQL via `scripts/postgres-start.sh` when run as root; the squash suite needs root and the debuggers `.ci/run` installs.',
  'Each section says when and where it was measured. Shorter runs for checks: `LOOP_BENCH_CAPTURES`, `LOOP_BENCH_ROWS` (core), `LOOP_BENCH_SECONDS`, `LOOP_BENCH_ROUNDS` (gateway, squash), `LOOP_BENCH_PAIR_ROUNDS` (head-to-head windows per check: gateway default 16, about 25 minutes; service-tap default 10, about 5 minutes).',
];

async function main(): Promise<number> {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !SUITES.some((s) => s.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown suite "${unknown[0]}"; expected ${SUITES.map((s) => s.name).join(' or ')} (or none for all)\n`);
    return 2;
  }
  const chosen = names.length === 0 ? SUITES : SUITES.filter((s) => names.includes(s.name));
  const fresh = new Map<string, string>();
  let failed = false;
  for (const suite of chosen) {
    log(`== bench suite: ${suite.name}`);
    try {
      fresh.set(suite.name, (await suite.run(log)).join('\n'));
    } catch (err) {
      // The other suites still run and are written; this one keeps its previous section.
      failed = true;
      log(`bench suite ${suite.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  const previous = await readFile(FILE, 'utf8').catch(() => undefined);
  const text = composeBenchmarks(HEADER, SUITES, fresh, previous);
  await writeFile(FILE, text);
  process.stdout.write(text);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
