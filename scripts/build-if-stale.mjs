#!/usr/bin/env node
// `npm start`'s prestart: runs `npm run build` unless the last build made through here is newer than
// everything the build reads (src/, web/, the tsconfigs, package.json and the lockfile) and every output
// it should have made is still there. A second `npm start` then starts in about a second instead of
// waiting 15-20 s for tsc and vite to produce the same files again. `npm run build` always builds.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const stamp = path.join(root, 'dist', '.build-stamp');

/** Every file under `dir` (relative to the repository), skipping node_modules and build output. */
function filesUnder(dir) {
  const out = [];
  const walk = (rel) => {
    let entries;
    try {
      entries = readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === 'node_modules' || e.name === 'dist') continue;
      const child = path.join(rel, e.name);
      if (e.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  walk(dir);
  return out;
}

const inputs = [
  ...filesUnder('src'),
  ...filesUnder('web'),
  'tsconfig.json',
  'tsconfig.build.json',
  'tsconfig.public.json',
  'package.json',
  'package-lock.json',
  'scripts/build-if-stale.mjs',
];

const isCompiled = (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.test-helper.ts') && !f.endsWith('contract.ts') && !f.endsWith('.d.ts');
const outputs = [
  ...filesUnder('src').filter(isCompiled).map((f) => path.join('dist', f.slice('src/'.length).replace(/\.ts$/, '.js'))),
  'dist/public/tap.d.ts',
  'web/dist/index.html',
];

/** Why a build is needed, or undefined when the last one is current. */
function staleness() {
  if (!existsSync(stamp)) return 'no build made by `npm start` yet';
  const built = statSync(stamp).mtimeMs;
  const missing = outputs.find((f) => !existsSync(path.join(root, f)));
  if (missing) return `${missing} is missing`;
  const newer = inputs.find((f) => existsSync(path.join(root, f)) && statSync(path.join(root, f)).mtimeMs > built);
  if (newer) return `${newer} changed since the last build`;
  return undefined;
}

const why = staleness();
if (why === undefined) {
  process.stdout.write('build: dist/ is up to date with its sources; skipping it (`npm run build` builds anyway)\n');
  process.exit(0);
}
process.stdout.write(`build: ${why}; running \`npm run build\`\n`);
const started = new Date();
const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
// Stamped with the time the build started: a source saved while it ran counts as newer.
writeFileSync(stamp, `${started.toISOString()}\n`);
utimesSync(stamp, started, started);
