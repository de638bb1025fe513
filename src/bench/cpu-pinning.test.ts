import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { afterEach, expect, it } from 'vitest';
import { cpuTicksOfTree, pinTree, planCpus } from './cpu-pinning.js';

const children: Array<ReturnType<typeof spawn>> = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

const allowed = async (pid: number): Promise<string> => /Cpus_allowed_list:\s*(\S+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]!;

it('does not pin when told not to', async () => {
  expect(await planCpus({ LOOP_BENCH_PIN: '0' })).toBeUndefined();
});

it.skipIf(os.availableParallelism() < 2)('pins a process and its children to the plan\'s CPUs', async () => {
  const plan = await planCpus({});
  if (!plan) return expect.fail('taskset is missing (util-linux)');
  expect(plan.proxy).toBe('0');
  expect(plan.load).toMatch(/^1(-\d+)?$/);
  // A shell with a child of its own, like nginx's master and workers.
  const parent = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
  children.push(parent);
  let child: number | undefined;
  for (let i = 0; i < 100 && child === undefined; i++) {
    const text = await readFile(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8');
    child = Number(text.trim().split(/\s+/)[0]) || undefined;
    if (child === undefined) await new Promise((r) => setTimeout(r, 20));
  }
  try {
    await pinTree(plan.taskset, parent.pid!, plan.load);
    expect(await allowed(parent.pid!)).toBe(plan.load);
    expect(await allowed(child!)).toBe(plan.load);
  } finally {
    if (child) process.kill(child, 'SIGKILL');
  }
});

it('counts the CPU time of a process tree, its busy child included', async () => {
  // The shell itself sleeps; its child spins.
  const parent = spawn('sh', ['-c', `"${process.execPath}" -e "const t = Date.now(); while (Date.now() - t < 2000);" & wait`], { stdio: 'ignore' });
  children.push(parent);
  // No wait for the child to start: time it spends before `before` is read only lowers `before`.
  const before = await cpuTicksOfTree(parent.pid!);
  await new Promise((r) => setTimeout(r, 1000)); // the interval measured, not a wait for an event
  const after = await cpuTicksOfTree(parent.pid!);
  // 100 ticks a second: a spinning child adds most of a second (a busy CI box may take some of it).
  expect(after! - before!).toBeGreaterThan(30);
  parent.kill('SIGKILL');
  expect(await cpuTicksOfTree(2 ** 22 + 1)).toBeUndefined(); // above any pid Linux hands out
});
