// `npm start`'s prestart (scripts/build-if-stale.mjs) in a scratch project whose `npm run build` only
// counts its runs and writes the outputs the script looks for: it builds the first time, skips while
// nothing changed, and builds again when a source is newer, an output is gone, or the build failed.
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

let root: string;

const FAKE_BUILD = [
  'const fs = require("fs");',
  'fs.appendFileSync("builds", "x");',
  'if (fs.existsSync("fail-build")) process.exit(3);',
  'for (const f of ["dist/core/a.js", "dist/public/tap.d.ts", "web/dist/index.html"]) {',
  '  fs.mkdirSync(require("path").dirname(f), { recursive: true });',
  '  fs.writeFileSync(f, "");',
  '}',
].join('\n');

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'loop-build-if-stale-'));
  await mkdir(path.join(root, 'scripts'));
  await copyFile(path.join(ROOT, 'scripts/build-if-stale.mjs'), path.join(root, 'scripts/build-if-stale.mjs'));
  await mkdir(path.join(root, 'src/core'), { recursive: true });
  await writeFile(path.join(root, 'src/core/a.ts'), 'export const a = 1;\n');
  await writeFile(path.join(root, 'src/core/a.test.ts'), '// a test: compiled by no build\n');
  await writeFile(path.join(root, 'fake-build.cjs'), FAKE_BUILD);
  await writeFile(path.join(root, 'package.json'), JSON.stringify({ name: 'scratch', private: true, scripts: { build: 'node fake-build.cjs' } }));
  for (const rel of INPUTS) await age(rel, 3600);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const prestart = (): { code: number | null; stdout: string; builds: Promise<number> } => {
  const r = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: root, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, builds: readFile(path.join(root, 'builds'), 'utf8').then((s) => s.length, () => 0) };
};

const INPUTS = ['src/core/a.ts', 'src/core/a.test.ts', 'fake-build.cjs', 'package.json'];

/** Sets a file's modification time `secondsAgo` into the past. */
const age = async (rel: string, secondsAgo: number): Promise<void> => {
  const t = new Date(Date.now() - secondsAgo * 1000);
  await utimes(path.join(root, rel), t, t);
};

/** As if only `rel` were saved after the last build: the other sources an hour ago, the build 10 s ago, the edit 5 s ago. */
const editAfterBuild = async (rel: string): Promise<void> => {
  for (const input of INPUTS) await age(input, 3600);
  await age('dist/.build-stamp', 10);
  await age(rel, 5);
};

describe('build-if-stale', () => {
  it('builds the first time, then skips while nothing changed', async () => {
    const first = prestart();
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('no build made by `npm start` yet');
    expect(await first.builds).toBe(1);

    const second = prestart();
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('up to date');
    expect(await second.builds).toBe(1);
  });

  it('builds again when a source, the web app or the lockfile is newer than the last build', async () => {
    prestart();
    for (const [i, rel] of (['src/core/a.ts', 'package.json'] as const).entries()) {
      await editAfterBuild(rel);
      const r = prestart();
      expect(r.stdout).toContain(`${rel} changed since the last build`);
      expect(await r.builds).toBe(i + 2);
    }
    await mkdir(path.join(root, 'web/src'), { recursive: true });
    await writeFile(path.join(root, 'web/src/app.ts'), '');
    await editAfterBuild('web/src/app.ts');
    expect(prestart().stdout).toContain(`${path.join('web', 'src', 'app.ts')} changed`);
  });

  it('builds again when an output is missing, even with every source older', async () => {
    prestart();
    await rm(path.join(root, 'dist/core/a.js'));
    const r = prestart();
    expect(r.stdout).toContain('dist/core/a.js is missing');
    expect(await r.builds).toBe(2);
    expect(prestart().stdout).toContain('up to date');
  });

  it('a failed build fails prestart with its exit code and is tried again next time', async () => {
    await writeFile(path.join(root, 'fail-build'), '');
    const failed = prestart();
    expect(failed.code).toBe(3);
    await rm(path.join(root, 'fail-build'));
    const next = prestart();
    expect(next.code).toBe(0);
    expect(next.stdout).toContain('no build made by `npm start` yet');
    expect(await next.builds).toBe(2);
  });
});
