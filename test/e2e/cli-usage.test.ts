// How the CLIs answer a command line they cannot run, alike across loop, loopctl and squashctl: a usage
// error exits 2 with one line and a pointer to --help (not the whole help), asking for help exits 0, and
// a command given nothing to do shows its usage and exits 2.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOOP_BIN, LOOPCTL_BIN, ROOT, runCli } from './harness.js';

const SQUASHCTL_BIN = path.join(ROOT, 'dist/cli/squashctl/main.js');

describe('CLI usage errors', () => {
  it.each([
    ['loop', LOOP_BIN, ['--bogus']],
    ['loop gateway', LOOP_BIN, ['gateway', '--bogus']],
    ['loop demo switch', LOOP_BIN, ['demo', 'switch']],
    ['loopctl', LOOPCTL_BIN, ['list', '--bogus']],
    ['squashctl', SQUASHCTL_BIN, ['--bogus']],
  ])('%s with a bad command line exits 2 with one error line and a pointer to --help', async (_name, bin, args) => {
    const r = await runCli(bin, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: (unknown option '--bogus'|missing required argument 'version')\n\(add --help for usage\)\n$/);
    expect(r.stdout).toBe('');
  });

  it.each([
    ['loop', LOOP_BIN],
    ['loopctl', LOOPCTL_BIN],
  ])('bare %s shows its usage on stderr and exits 2', async (_name, bin) => {
    const r = await runCli(bin, []);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Usage: /);
  });

  it.each([
    ['loop --help', LOOP_BIN, ['--help']],
    ['loop gateway --help', LOOP_BIN, ['gateway', '--help']],
    ['loop help', LOOP_BIN, ['help']],
    ['loopctl --help', LOOPCTL_BIN, ['--help']],
    ['loopctl --version', LOOPCTL_BIN, ['--version']],
  ])('%s exits 0 with the answer on stdout', async (_name, bin, args) => {
    const r = await runCli(bin, args);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
  });

  it('a bad flag value names the flag itself', async () => {
    const r = await runCli(LOOP_BIN, ['serve', '--listen', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('loop: --listen: got "nope", expected host:port, e.g. 127.0.0.1:5678\n');
  });
});
