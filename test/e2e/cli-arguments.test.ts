// Every CLI refuses words on its command line that no command takes, names them, and exits 2 (loopctl's
// in-process tests cover its commands; these run the built loop and squashctl).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOP_BIN, LOOPCTL_BIN, ROOT, runCli } from './harness.js';

const SQUASHCTL_BIN = path.join(ROOT, 'dist/cli/squashctl/main.js');
let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'cli-arguments-'));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('excess arguments', () => {
  it.each([
    [LOOP_BIN, ['serve', 'foo'], 'loop: unexpected argument "foo" for `loop serve`: it takes no arguments'],
    [LOOP_BIN, ['gateway', 'foo'], 'loop: unexpected argument "foo" for `loop gateway`: it takes no arguments'],
    [LOOP_BIN, ['demo', 'foo'], 'loop: unexpected argument "foo" for `loop demo`: it takes no arguments\n  hint: its commands are switch'],
    [LOOP_BIN, ['demo', 'switch', 'blue', 'extra'], 'loop: unexpected argument "extra" for `loop demo switch`: it takes <version>'],
    [SQUASHCTL_BIN, ['list', 'x'], 'squashctl: unexpected argument "x" for `squashctl list`: it takes no arguments'],
    [SQUASHCTL_BIN, ['foo'], 'squashctl: unexpected argument "foo" for `squashctl`: it takes no arguments\n  hint: its commands are targets, kube, list, cleanup'],
    [LOOPCTL_BIN, ['--server', 'http://127.0.0.1:47999', 'delete', '1', '2'], 'loopctl: unexpected argument "2" for `loopctl delete`'],
  ])('%s %j', async (bin, args, message) => {
    const run = await runCli(bin, args, { env: { SQUASH_STATE_DIR: stateDir } });
    expect(run.stderr).toContain(message);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
  });
});
