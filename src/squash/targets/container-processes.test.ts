import { readlink } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  containerInitPid,
  findContainerProcesses,
  findProcessesByNamespace,
  processesSharingNamespaces,
} from './container-processes.js';
import { makeProcRoot } from './proc-fixture.test-helper.js';
import { parseNamespaceLink, readProcess } from './proc-reader.js';
import { canRunContainers, startRuncContainer, type RuncContainer } from './runc-container.test-helper.js';

const A = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const B = '0123456789abffff' + 'e'.repeat(48);
const C = 'c'.repeat(64);
const scope = (id: string) => `0::/system.slice/docker-${id}.scope\n`;
const nsA = { pid: 4026532300, net: 4026532301, mnt: 4026532302 };

describe('container lookup on a fixture', () => {
  let proc: { root: string; remove(): Promise<void> };
  beforeAll(async () => {
    proc = await makeProcRoot([
      { pid: 1, ppid: 0, cmdline: ['/sbin/init'], ns: { pid: 1, net: 2, mnt: 3 } },
      { pid: 900, ppid: 1, cmdline: ['containerd-shim'], ns: { pid: 1, net: 2, mnt: 3 } },
      { pid: 1001, ppid: 900, cmdline: ['/app/server'], cgroup: scope(A), ns: nsA, nsPids: [1001, 1] },
      { pid: 1005, ppid: 1001, cmdline: ['/app/worker'], cgroup: scope(A), ns: nsA, nsPids: [1005, 7] },
      { pid: 1010, ppid: 900, cmdline: ['/bin/sh'], cgroup: scope(A), ns: nsA, nsPids: [1010, 12] },
      { pid: 2001, ppid: 900, cmdline: ['/b'], cgroup: scope(B), ns: { pid: 9, net: 9, mnt: 9 }, nsPids: [2001, 1] },
      { pid: 3001, ppid: 900, cmdline: ['/c'], cgroup: scope(C), ns: { pid: 8, net: 8, mnt: 8 }, nsPids: [3001, 1] },
    ]);
  });
  afterAll(() => proc.remove());

  it('finds every process of a container by full ID', async () => {
    const found = await findContainerProcesses(A, proc.root);
    expect(found.containerId).toBe(A);
    expect(found.processes.map((p) => p.pid)).toEqual([1001, 1005, 1010]);
  });

  it('accepts a unique prefix of 4 characters or more, in any case', async () => {
    expect((await findContainerProcesses(C.slice(0, 12), proc.root)).containerId).toBe(C);
    expect((await findContainerProcesses(C.slice(0, 6).toUpperCase(), proc.root)).containerId).toBe(C);
  });

  it('lists the candidates of an ambiguous prefix', async () => {
    await expect(findContainerProcesses(A.slice(0, 12), proc.root)).rejects.toMatchObject({
      code: 'TARGET_AMBIGUOUS',
      details: { matches: [A, B].sort() },
    });
  });

  it('refuses prefixes shorter than 4 characters, and says so', async () => {
    await expect(findContainerProcesses(C.slice(0, 3), proc.root)).rejects.toMatchObject({
      code: 'TARGET_NOT_FOUND',
      hint: expect.stringContaining('4 characters'),
    });
  });

  it('names an unknown container and the ones that do run', async () => {
    await expect(findContainerProcesses('d'.repeat(64), proc.root)).rejects.toMatchObject({
      code: 'TARGET_NOT_FOUND',
      message: expect.stringMatching(new RegExp(`^no running container with ID ${'d'.repeat(64)}; running containers: [0-9a-f]{12} \\(`)),
    });
  });

  it('picks the process whose parent is outside and which is PID 1 inside as the init', async () => {
    const { processes } = await findContainerProcesses(A, proc.root);
    expect(containerInitPid(processes)).toBe(1001);
  });

  it('groups processes by namespace inode when cgroups do not tell', async () => {
    expect((await processesSharingNamespaces(1005, { procRoot: proc.root })).map((p) => p.pid)).toEqual([1001, 1005, 1010]);
    expect((await processesSharingNamespaces(1005, { procRoot: proc.root, kinds: ['pid', 'net'] })).map((p) => p.pid)).toEqual([1001, 1005, 1010]);
    expect((await findProcessesByNamespace('net', 8, proc.root)).map((p) => p.pid)).toEqual([3001]);
  });
});

describe.skipIf(!canRunContainers())('a real runc container', () => {
  let container: RuncContainer | undefined;
  beforeAll(async () => {
    container = await startRuncContainer();
  });
  afterAll(async () => {
    await container?.remove();
  });

  it('is found on the host by its container ID through /proc', async () => {
    const { id, pid } = container!;
    const found = await findContainerProcesses(id);
    expect(found.containerId).toBe(id);
    expect(found.processes.map((p) => p.pid)).toEqual([pid]);
    expect(containerInitPid(found.processes)).toBe(pid);
    const info = found.processes[0]!;
    expect(info.nsPid).toBe(1);
    expect(info.cmdline).toEqual(['/bin/sleep', '3600']);
  });

  it('lives in its own network and PID namespaces, found again by inode', async () => {
    const info = await readProcess(container!.pid);
    const ourNet = parseNamespaceLink(await readlink('/proc/self/ns/net'));
    const ourPid = parseNamespaceLink(await readlink('/proc/self/ns/pid'));
    expect(info.namespaces.net).toBeDefined();
    expect(info.namespaces.net).not.toBe(ourNet);
    expect(info.namespaces.pid).not.toBe(ourPid);
    expect((await findProcessesByNamespace('net', info.namespaces.net!)).map((p) => p.pid)).toEqual([container!.pid]);
    expect((await processesSharingNamespaces(container!.pid, { kinds: ['pid', 'net', 'mnt'] })).map((p) => p.pid)).toEqual([container!.pid]);
  });
});
