import { spawn } from 'node:child_process';
import { readlink } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopError } from '../../core/errors.js';
import { listProcesses, parseNamespaceLink, parseStatus, readProcess } from './proc-reader.js';
import { makeProcRoot } from './proc-fixture.test-helper.js';

const ID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

describe('readProcess on the real /proc', () => {
  it('describes a real child process', async () => {
    const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const info = await readProcess(child.pid!);
      expect(info).toMatchObject({ pid: child.pid, ppid: process.pid, exe: '/usr/bin/sleep', cmdline: ['/bin/sleep', '30'], comm: 'sleep' });
      expect(info.uid).toBe(process.getuid?.());
      expect(info.nsPid).toBe(child.pid);
      const ourNet = parseNamespaceLink(await readlink('/proc/self/ns/net'));
      expect(info.namespaces.net).toBe(ourNet);
      expect(info.namespaces.pid).toBeGreaterThan(0);
      expect(info.namespaces.mnt).toBeGreaterThan(0);
    } finally {
      child.kill();
    }
  });

  it('names the missing PID', async () => {
    const err = await readProcess(2 ** 22 + 7).catch((e: unknown) => e);
    expect(isLoopError(err, 'TARGET_NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain(String(2 ** 22 + 7));
  });

  it('rejects a PID that is not a positive integer', async () => {
    await expect(readProcess(-1)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('readProcess and listProcesses on a fixture', () => {
  let proc: { root: string; remove(): Promise<void> };
  beforeAll(async () => {
    proc = await makeProcRoot([
      { pid: 1, ppid: 0, comm: 'systemd', cmdline: ['/sbin/init'], exe: '/usr/lib/systemd/systemd', ns: { pid: 4026531836, net: 4026531840, mnt: 4026531841 } },
      {
        pid: 4242, ppid: 4200, uid: 1000, comm: 'server', cmdline: ['/app/server', '--port', '8080'], exe: '/app/server',
        cgroup: `0::/system.slice/docker-${ID}.scope\n`, ns: { pid: 4026532200, net: 4026532203, mnt: 4026532199 }, nsPids: [4242, 17, 1],
      },
      { pid: 4300, vanished: true },
      { pid: 2, ppid: 0, comm: 'kthreadd' },
    ]);
  });
  afterAll(() => proc.remove());

  it('reads every field of a containerised process', async () => {
    expect(await readProcess(4242, proc.root)).toEqual({
      pid: 4242, ppid: 4200, uid: 1000, comm: 'server', exe: '/app/server', cmdline: ['/app/server', '--port', '8080'],
      namespaces: { pid: 4026532200, net: 4026532203, mnt: 4026532199 }, containerId: ID, nsPid: 1,
    });
  });

  it('leaves unreadable fields empty (kernel thread: no exe, no cmdline, no namespaces)', async () => {
    expect(await readProcess(2, proc.root)).toMatchObject({ exe: '', cmdline: [], comm: 'kthreadd', namespaces: {} });
  });

  it('treats a process that vanished mid-read as not found', async () => {
    await expect(readProcess(4300, proc.root)).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND', message: 'no process with PID 4300' });
  });

  it('lists processes, skipping vanished ones and non-PID entries', async () => {
    expect((await listProcesses(proc.root)).map((p) => p.pid)).toEqual([1, 2, 4242]);
  });
});

describe('parsers', () => {
  it.each([
    ['net:[4026531840]', 4026531840],
    ['pid:[4026531836]', 4026531836],
    ['garbage', undefined],
  ])('parseNamespaceLink(%s)', (link, inode) => {
    expect(parseNamespaceLink(link)).toBe(inode);
  });

  it('takes the real uid and the innermost NSpid', () => {
    expect(parseStatus('Name:\tx\nPPid:\t5\nUid:\t1000\t0\t0\t0\nNSpid:\t900\t1\n')).toEqual({ name: 'x', ppid: 5, uid: 1000, nsPid: 1 });
  });
});
