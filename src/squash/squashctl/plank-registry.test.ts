import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlankRegistry, isPlankCommand, plankLogFile, PLANK_LOGS_KEPT, stateDirFrom, type PlankRecord } from './plank-registry.js';

const record = (pid: number, startTime: number, over: Partial<PlankRecord> = {}): PlankRecord => ({
  pid,
  startTime,
  target: { pid: 7, command: 'python3 app.py', runtime: 'python' },
  debugger: 'python',
  endpoint: { runtime: 'python', debugger: 'python', protocol: 'dap', host: '127.0.0.1', port: 40000, pid: 7 },
  startedAt: `2030-01-01T00:00:0${pid % 10}.000Z`,
  expiresAt: '2030-01-01T01:00:00.000Z',
  ...over,
});

describe('stateDirFrom', () => {
  it.each([
    [{ SQUASH_STATE_DIR: '/s', XDG_STATE_HOME: '/x' }, '/s'],
    [{ XDG_STATE_HOME: '/x' }, '/x/squash'],
    [{}, '/home/u/.local/state/squash'],
  ])('%j → %s', (env, dir) => {
    expect(stateDirFrom(env, '/home/u')).toBe(dir);
  });
});

it.each([
  [['/usr/local/bin/plank', '--pid', '3'], true],
  [['/usr/bin/node', '/opt/squash/dist/cli/plank/main.js', '--pid', '3'], true],
  [['/usr/bin/node', '/opt/squash/dist/cli/squashctl/main.js'], false],
  [['/usr/bin/planktonic'], false],
  [[], false],
])('isPlankCommand(%j) is %s', (cmdline, expected) => {
  expect(isPlankCommand(cmdline)).toBe(expected);
});

describe('the plank registry on a /proc fixture', () => {
  let dir: string;
  let proc: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'squash-state-'));
    proc = await mkdtemp(join(tmpdir(), 'squash-proc-'));
    const fake = async (pid: number, state: string, start: number, cmdline: string[]): Promise<void> => {
      await mkdir(join(proc, String(pid)));
      await writeFile(join(proc, String(pid), 'stat'), `${pid} (node) ${state} 1 ${pid} ${pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ${start} 0 0\n`);
      await writeFile(join(proc, String(pid), 'cmdline'), cmdline.map((a) => `${a}\0`).join(''));
    };
    await fake(100, 'S', 5000, ['node', '/x/dist/cli/plank/main.js', '--pid', '7']); // live plank
    await fake(200, 'S', 9999, ['node', '/x/dist/cli/plank/main.js']); // PID reused by a newer plank
    await fake(300, 'S', 7000, ['/usr/sbin/sshd']); // PID reused by something else
    await fake(400, 'Z', 8000, []); // exited, not reaped
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(proc, { recursive: true, force: true });
  });

  it('lists only planks that still run as recorded, and prunes the rest, keeping their logs (why they ended)', async () => {
    const registry = createPlankRegistry(dir, { procRoot: proc });
    await writeFile(join(dir, 'plank-200.log'), 'log\n');
    for (const r of [record(100, 5000), record(200, 1234, { logFile: join(dir, 'plank-200.log') }), record(300, 7000), record(400, 8000), record(500, 1)]) await registry.save(r);
    await writeFile(join(dir, 'plank-600.json'), '{"torn');
    expect((await registry.list()).map((r) => r.pid)).toEqual([100]);
    expect((await readdir(dir)).sort()).toEqual(['plank-100.json', 'plank-200.log']);
    await rm(join(dir, 'plank-200.log'));
  });

  it('pruneLogs keeps the newest logs whatever the outcome, and never a live plank\'s', async () => {
    const logs = await mkdtemp(join(tmpdir(), 'squash-logs-'));
    try {
      const registry = createPlankRegistry(logs, { procRoot: proc });
      // 25 logs, one a minute; the oldest belongs to live plank 100 (a 24h TTL outlives 20 newer planks).
      const names = Array.from({ length: 25 }, (_, i) => `plank-${1_800_000_000_000 + i * 60_000}-0a${String(i).padStart(2, '0')}.log`);
      for (const name of names) await writeFile(join(logs, name), '{}\n');
      await writeFile(join(logs, 'notes.txt'), 'mine\n');
      await registry.save(record(100, 5000, { logFile: join(logs, names[0]!) }));
      const removed = await registry.pruneLogs(PLANK_LOGS_KEPT - 1);
      expect(removed).toEqual(names.slice(1, 6).reverse().map((n) => join(logs, n)));
      expect((await readdir(logs)).sort()).toEqual([...names.slice(6), names[0]!, 'notes.txt', 'plank-100.json'].sort());
      expect(await registry.pruneLogs(PLANK_LOGS_KEPT - 1)).toEqual([]);
      expect(plankLogFile(logs, 1_900_000_000_000, 'beef01')).toBe(join(logs, 'plank-1900000000000-beef01.log'));
    } finally {
      await rm(logs, { recursive: true, force: true });
    }
  });

  it('reads nothing from a state directory that does not exist yet', async () => {
    expect(await createPlankRegistry(join(dir, 'missing')).list()).toEqual([]);
  });
});
