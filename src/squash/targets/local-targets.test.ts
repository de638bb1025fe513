import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../squash-types.js';
import { displayCommand, isOwnTool, listLocalTargets } from './local-targets.js';
import { makeProcRoot } from './proc-fixture.test-helper.js';

const ID = 'ab'.repeat(32);

describe('listLocalTargets on a fixture', () => {
  let proc: { root: string; remove(): Promise<void> };
  beforeAll(async () => {
    proc = await makeProcRoot([
      { pid: 1, ppid: 0, cmdline: ['/sbin/init', 'splash'], exe: '/nonexistent/init' },
      { pid: 2, ppid: 0, comm: 'kthreadd' },
      { pid: 15, ppid: 2, comm: 'kworker/0:1' },
      { pid: 300, ppid: 1, uid: 1000, cmdline: ['/usr/bin/python3', 'app.py'], exe: '/usr/bin/python3.11' },
      { pid: 310, ppid: 1, cmdline: ['/usr/bin/node', '/usr/lib/node_modules/squash-loop/dist/cli/plank/main.js', '--pid', '300'], exe: '/usr/bin/node' },
      { pid: 320, ppid: 1, cmdline: ['/usr/local/bin/squashctl'], exe: '/usr/bin/node' },
      { pid: 400, ppid: 1, uid: 4242, cmdline: ['/usr/bin/node', 'server.js'], exe: '/usr/bin/node', cgroup: `0::/system.slice/docker-${ID}.scope\n` },
      { pid: 500, ppid: 1, cmdline: ['/usr/sbin/sshd', '-D'], exe: '/nonexistent/sshd' },
      { pid: 250, ppid: 1, cmdline: ['/bin/bash'], exe: '/usr/bin/bash' },
      { pid: 260, ppid: 1, cmdline: ['/bin/sh', '/entrypoint.sh'], exe: '/bin/busybox' },
      { pid: 590, ppid: 1, cmdline: ['/usr/bin/timeout', '30', '/me'], exe: '/nonexistent/timeout' },
      { pid: 600, ppid: 590, cmdline: ['/me'], exe: '/usr/bin/node' },
      // A plank's debugger and what that started, and a plank run with node options.
      { pid: 311, ppid: 310, cmdline: ['/usr/bin/dlv', 'attach', '300', '--headless'], exe: '/nonexistent/dlv' },
      { pid: 312, ppid: 311, cmdline: ['/usr/bin/gdb', '-p', '300'], exe: '/nonexistent/gdb' },
      { pid: 330, ppid: 1, cmdline: ['node', '--enable-source-maps', '/opt/squash/dist/cli/plank/main.js', '--pid', '400'], exe: '/usr/bin/node' },
      { pid: 331, ppid: 330, cmdline: ['/usr/bin/nsenter', '-t', '400', '-n', 'node', 'forwarder.js'], exe: '/nonexistent/nsenter' },
    ]);
    await writeFile(join(proc.root, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n');
  });
  afterAll(() => proc.remove());

  it('lists managed runtimes first, then the rest; skips kernel threads, shells, Squash itself with its planks\' debuggers, and our own PID and its callers, and names users', async () => {
    const targets = await listLocalTargets({ procRoot: proc.root, passwdPath: join(proc.root, 'passwd'), selfPid: 600 });
    expect(targets).toEqual([
      { pid: 300, command: 'python3 app.py', runtime: 'python', user: 'alice' },
      { pid: 400, command: 'node server.js', runtime: 'node', containerId: ID, user: '4242' },
      { pid: 1, command: 'init splash', user: 'root' },
      { pid: 500, command: 'sshd -D', user: 'root' },
    ]);
  });

  it('with includeShells lists shells (bash, busybox sh) as shells, not as native "c" services', async () => {
    const targets = await listLocalTargets({ procRoot: proc.root, passwdPath: join(proc.root, 'passwd'), selfPid: 600, includeShells: true });
    expect(targets.filter((t) => t.shell)).toEqual([
      { pid: 250, command: 'bash', shell: true, user: 'root' },
      { pid: 260, command: 'sh /entrypoint.sh', shell: true, user: 'root' },
    ]);
    expect(targets.map((t) => t.pid)).not.toContain(311);
  });
});

describe('listLocalTargets under commands that only mention squashctl', () => {
  let proc: { root: string; remove(): Promise<void> };
  beforeAll(async () => {
    // `npx vitest run src/squash/targets src/squash/squashctl`: npm's process title is one argv entry
    // ending in "squashctl", and npx runs vitest through `sh -c`. Neither is squashctl, so the service
    // started under them is a target.
    proc = await makeProcRoot([
      { pid: 1, ppid: 0, cmdline: ['/sbin/init'], exe: '/nonexistent/init' },
      { pid: 700, ppid: 1, cmdline: ['npm exec vitest run src/squash/targets src/squash/squashctl'], exe: '/usr/bin/node' },
      { pid: 701, ppid: 700, cmdline: ['sh', '-c', "'vitest' run src/squash/targets src/squash/squashctl"], exe: '/usr/bin/dash' },
      { pid: 702, ppid: 701, cmdline: ['node (vitest)'], exe: '/usr/bin/node' },
      { pid: 703, ppid: 702, cmdline: ['/usr/bin/python3', 'app.py'], exe: '/usr/bin/python3.11' },
      { pid: 800, ppid: 1, cmdline: ['tail', '-f', '/var/log/plank'], exe: '/nonexistent/tail' },
    ]);
  });
  afterAll(() => proc.remove());

  it('lists them and what they started', async () => {
    const targets = await listLocalTargets({ procRoot: proc.root, passwdPath: join(proc.root, 'passwd'), selfPid: 1 });
    expect(targets.map((t) => t.pid)).toEqual([700, 702, 703, 800]);
  });
});

describe('listLocalTargets on this machine', () => {
  it('shows a real Python process with its runtime, and not ourselves', async () => {
    const child = spawn('/usr/bin/python3', ['-c', 'import time; time.sleep(3600)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const targets = await listLocalTargets();
      expect(targets.find((t) => t.pid === child.pid)).toMatchObject({ runtime: 'python', command: 'python3 -c import time; time.sleep(3600)', user: 'root' });
      expect(targets.some((t) => t.pid === process.pid)).toBe(false);
      const firstUndetected = targets.findIndex((t) => t.runtime === undefined);
      expect(targets.slice(firstUndetected).every((t) => t.runtime === undefined)).toBe(true);
    } finally {
      child.kill();
    }
  });
});

describe('display helpers', () => {
  const p = (cmdline: string[], comm = 'x'): ProcessInfo => ({ pid: 9, ppid: 1, exe: '', cmdline, comm, uid: 0, namespaces: {} });

  it('shortens argv[0] and long commands, and brackets processes without a command line', () => {
    expect(displayCommand(p(['/usr/bin/node', 'a.js']))).toBe('node a.js');
    expect(displayCommand(p(['/bin/x', 'y'.repeat(50)]), 10)).toBe('x yyyyyyy…');
    expect(displayCommand(p([], 'kworker'))).toBe('[kworker]');
  });

  it.each([
    [['/usr/local/bin/plank', '--pid', '3'], true],
    [['node', '/work/main/dist/cli/squashctl/main.js'], true],
    [['node', '/work/main/dist/cli/loop/main.js', 'serve'], false],
    [['/usr/bin/planktonic'], false],
    [['node', '--enable-source-maps', '/opt/squash/dist/cli/plank/main.js'], true],
    [['node', 'server.js', '/x/cli/plank/main.js'], false],
    [['nodejs', '/usr/local/bin/plank', '--pid', '3'], true],
    [['npm exec vitest run src/squash/targets src/squash/squashctl'], false],
    [['sh', '-c', "'vitest' run src/squash/squashctl"], false],
    [['tail', '-f', '/var/log/plank'], false],
  ])('isOwnTool(%j) is %s', (cmdline, own) => {
    expect(isOwnTool(p(cmdline))).toBe(own);
  });
});
