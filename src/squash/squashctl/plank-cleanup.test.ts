import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readProcessState } from '../plank/index.js';
import { cleanupPlanks } from './plank-cleanup.js';
import { createPlankRegistry, type PlankRecord } from './plank-registry.js';

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

describe('cleanupPlanks with real processes', () => {
  let dir: string;
  let bin: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'squash-cleanup-'));
    // Stand-ins for planks: the command line of one (…/cli/plank/main.js), obedient or stubborn about SIGTERM.
    bin = join(dir, 'dist', 'cli', 'plank', 'main.js');
    await mkdir(join(dir, 'dist', 'cli', 'plank'), { recursive: true });
    await writeFile(bin, "if (process.argv[2] === 'stubborn') process.on('SIGTERM', () => {});\nsetInterval(() => {}, 1000);\nconsole.log('up');\n");
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const start = async (...args: string[]): Promise<{ child: ChildProcess; rec: PlankRecord }> => {
    const child = spawn(process.execPath, [bin, ...args], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    await new Promise((r) => child.stdout!.once('data', r));
    const state = await readProcessState(child.pid!);
    return { child, rec: record(child.pid!, state!.startTime) };
  };
  const exited = (c: ChildProcess): Promise<unknown> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)));

  it('ends obedient planks with SIGTERM, kills stubborn ones after the grace, and leaves reused PIDs alone', async () => {
    const states = join(dir, 'state');
    const registry = createPlankRegistry(states);
    const obedient = await start('obedient');
    const stubborn = await start('stubborn');
    const bystander = await start('obedient');
    await registry.save(obedient.rec);
    await registry.save(stubborn.rec);
    await registry.save({ ...bystander.rec, startTime: bystander.rec.startTime - 1 }); // same PID, another process
    const results = await cleanupPlanks(registry, { graceMs: 300 });
    const outcome = new Map(results.map((r) => [r.record.pid, r.outcome]));
    expect(outcome).toEqual(new Map([[obedient.rec.pid, 'ended'], [stubborn.rec.pid, 'killed'], [bystander.rec.pid, 'already-gone']]));
    await exited(obedient.child);
    await exited(stubborn.child);
    expect(obedient.child.signalCode).toBe('SIGTERM');
    expect(stubborn.child.signalCode).toBe('SIGKILL');
    expect(bystander.child.exitCode).toBeNull();
    expect(bystander.child.signalCode).toBeNull();
    expect(await registry.readAll()).toEqual([]);
  });
});
