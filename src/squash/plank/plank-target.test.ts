import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProcRoot } from '../targets/proc-fixture.test-helper.js';
import { resolveContainerTarget, resolveTarget } from './plank-target.js';

const WEB = 'a1b2c3d4' + '0'.repeat(56);
const WORKER = 'a1b2ffff' + '1'.repeat(56);
const NOINIT = 'c0ffee00' + '2'.repeat(56);
const CROWD = 'dddd0000' + '3'.repeat(56);
const scope = (id: string): string => `0::/system.slice/docker-${id}.scope\n`;

describe('container ID → main process, on a /proc fixture', () => {
  let proc: { root: string; remove(): Promise<void> };
  beforeAll(async () => {
    proc = await makeProcRoot([
      { pid: 1, ppid: 0, cmdline: ['/sbin/init'], exe: '/nonexistent/init' },
      { pid: 900, ppid: 1, cmdline: ['containerd-shim'], exe: '/nonexistent/shim' },
      // WEB: PID 1 inside is node; a child python and an exec'd shell too.
      { pid: 1001, ppid: 900, cmdline: ['node', 'server.js'], exe: '/usr/bin/node', cgroup: scope(WEB), nsPids: [1001, 1] },
      { pid: 1002, ppid: 1001, cmdline: ['python3', 'job.py'], exe: '/usr/bin/python3', cgroup: scope(WEB), nsPids: [1002, 5] },
      { pid: 1010, ppid: 900, cmdline: ['/bin/sh'], exe: '/nonexistent/sh', cgroup: scope(WEB), nsPids: [1010, 9] },
      // WORKER: shares the 4-char prefix a1b2 with WEB.
      { pid: 2001, ppid: 900, cmdline: ['java', 'Worker'], exe: '/usr/lib/jvm/bin/java', cgroup: scope(WORKER), nsPids: [2001, 1] },
      // NOINIT: no PID namespace of its own (nsPid never 1); one process has a runtime.
      { pid: 3001, ppid: 900, cmdline: ['/bin/sh', '-c', 'python3 app.py'], exe: '/nonexistent/sh', cgroup: scope(NOINIT) },
      { pid: 3002, ppid: 3001, cmdline: ['python3', 'app.py'], exe: '/usr/bin/python3.11', cgroup: scope(NOINIT) },
      // CROWD: no PID 1 inside and two runtimes: no single main process.
      { pid: 4001, ppid: 900, cmdline: ['node', 'a.js'], exe: '/usr/bin/node', cgroup: scope(CROWD) },
      { pid: 4002, ppid: 900, cmdline: ['python3', 'b.py'], exe: '/usr/bin/python3', cgroup: scope(CROWD) },
    ]);
  });
  afterAll(() => proc.remove());
  const resolve = (id: string) => resolveContainerTarget(id, { procRoot: proc.root });

  it('takes the process that is PID 1 in the container, with its runtime', async () => {
    const t = await resolve(WEB);
    expect(t).toMatchObject({ containerId: WEB, process: { pid: 1001 }, runtime: { runtime: 'node' } });
  });

  it.each([
    ['a unique 8-character prefix', WEB.slice(0, 8), 1001],
    ['a unique 4-character prefix', 'c0ff', 3002],
    ['upper case', WORKER.slice(0, 8).toUpperCase(), 2001],
  ])('accepts %s', async (_what, id, pid) => {
    expect((await resolve(id)).process.pid).toBe(pid);
  });

  it('falls back to the only process with a detected runtime when none is PID 1 inside', async () => {
    expect(await resolve(NOINIT)).toMatchObject({ process: { pid: 3002 }, runtime: { runtime: 'python' } });
  });

  it('lists both containers of an ambiguous prefix', async () => {
    const err = await resolve('a1b2').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TARGET_AMBIGUOUS', details: { matches: [WEB, WORKER] } });
    expect((err as Error).message).toContain(`${WEB.slice(0, 12)} (node server.js)`);
    expect((err as Error).message).toContain(`${WORKER.slice(0, 12)} (java Worker)`);
  });

  it('refuses prefixes under 4 characters and says how many it needs', async () => {
    await expect(resolve('c0f')).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND', hint: expect.stringContaining('4 characters') });
  });

  it('names the running containers when the ID is unknown', async () => {
    const err = await resolve('beef').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TARGET_NOT_FOUND' });
    expect((err as Error).message).toMatch(/^no running container with ID beef; running containers: a1b2c3d40000 \(node server\.js\), a1b2ffff1111 \(java Worker\)/);
  });

  it('lists the candidates when a container has no single main process', async () => {
    const err = await resolve('dddd').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TARGET_AMBIGUOUS', hint: 'pick one with --pid PID', details: { pids: [4001, 4002] } });
    expect((err as Error).message).toContain('4001 (node) node a.js; 4002 (python) python3 b.py');
  });

  it('resolves a PID directly, and names a missing one', async () => {
    expect(await resolveTarget({ pid: 1002 }, { procRoot: proc.root })).toMatchObject({ process: { pid: 1002 }, runtime: { runtime: 'python' } });
    expect((await resolveTarget({ pid: 1002 }, { procRoot: proc.root })).containerId).toBeUndefined();
    await expect(resolveTarget({ pid: 5555 }, { procRoot: proc.root })).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND', message: 'no process with PID 5555' });
  });
});
