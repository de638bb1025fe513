// How the CLIs answer a command line they cannot run, alike across loop, loopctl and squashctl: a usage
// error exits 2 with one line and a pointer to --help (not the whole help), asking for help exits 0, a
// command given nothing to do shows its usage and exits 2, and words no command takes are refused by name
// (loopctl's in-process tests cover its commands in detail).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOP_BIN, LOOPCTL_BIN, ROOT, runCli } from './harness.js';

const SQUASHCTL_BIN = path.join(ROOT, 'dist/cli/squashctl/main.js');
let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'cli-usage-'));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

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

  it('loop serve names a --data-dir that is a file, before creating anything under it', async () => {
    const file = path.join(stateDir, 'not-a-dir');
    await writeFile(file, '');
    const r = await runCli(LOOP_BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`loop: --data-dir: ${file} is a file, not a directory\n  hint: name a directory (it is created when missing), e.g. --data-dir .loop-data\n`);
  });

  it('loop serve names a --data-dir it cannot create, instead of an --audit-log it was not given', async () => {
    const file = path.join(stateDir, 'not-a-dir-either');
    await writeFile(file, '');
    const r = await runCli(LOOP_BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', path.join(file, 'data')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `loop: --data-dir: ${path.join(file, 'data')} cannot be created: a part of its path is not a directory\n` +
        '  hint: name a directory this user can write (it is created when missing), e.g. --data-dir .loop-data\n',
    );
  });

  it('loop serve refuses --retention-interval 0 (a busy loop) before it listens', async () => {
    const r = await runCli(LOOP_BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', path.join(stateDir, 'timers'), '--retention-interval', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('loop: --retention-interval: got "0", expected a duration from 1s to 24h such as 30s, 5m or 2h\n');
  });

  // These said 'cannot be read: ENOENT', an errno to look up.
  it.each([
    ['--tokens-file', ['--tokens-file', '/nonexistent/tokens'], 'loop: --tokens-file /nonexistent/tokens cannot be read: no such file or directory\n'],
    ['--tls-cert', ['--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem'], 'loop: --tls-cert /nonexistent/cert.pem cannot be read: no such file or directory\n'],
  ])('loop serve says in words why a %s file cannot be read', async (_flag, flags, stderr) => {
    const r = await runCli(LOOP_BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', path.join(stateDir, 'files'), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(stderr);
  });

  it('squashctl cleanup --grace names what it takes, not --timeout\'s range (0 and 30d are graces too)', async () => {
    const r = await runCli(SQUASHCTL_BIN, ['cleanup', '--grace', 'soon'], { env: { SQUASH_STATE_DIR: stateDir } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('squashctl: --grace: got "soon", expected a duration such as 500ms, 30s, 5m, 2h or 7d\n');
  });

  it('a bad flag value names the flag itself', async () => {
    const r = await runCli(LOOP_BIN, ['serve', '--listen', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('loop: --listen: got "nope", expected host:port, e.g. 127.0.0.1:5678\n');
  });
});

describe('excess arguments', () => {
  it.each([
    [LOOP_BIN, ['serve', 'foo'], 'loop: unexpected argument "foo" for `loop serve`: it takes no arguments'],
    [LOOP_BIN, ['gateway', 'foo'], 'loop: unexpected argument "foo" for `loop gateway`: it takes no arguments'],
    [LOOP_BIN, ['demo', 'foo'], "loop: unknown command 'foo'\n  hint: commands: switch; see `loop demo --help`"],
    [SQUASHCTL_BIN, ['lsit'], 'squashctl: unknown command \'lsit\' (did you mean "list"?)'],
    [LOOP_BIN, ['demo', 'switch', 'blue', 'extra'], 'loop: unexpected argument "extra" for `loop demo switch`: it takes <version>'],
    [SQUASHCTL_BIN, ['list', 'x'], 'squashctl: unexpected argument "x" for `squashctl list`: it takes no arguments'],
    [SQUASHCTL_BIN, ['foo'], "squashctl: unknown command 'foo'\n  hint: commands: targets, kube, list, cleanup; see `squashctl --help`"],
    [LOOPCTL_BIN, ['--server', 'http://127.0.0.1:47999', 'delete', '1', '2'], 'loopctl: unexpected argument "2" for `loopctl delete`'],
  ])('%s %j', async (bin, args, message) => {
    const run = await runCli(bin, args, { env: { SQUASH_STATE_DIR: stateDir } });
    expect(run.stderr).toContain(message);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
  });
});
