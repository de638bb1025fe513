import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopError } from '../../core/errors.js';
import type { ProcessInfo } from '../squash-types.js';
import { readElf } from './elf-sections.js';
import { readProcess } from './proc-reader.js';
import { detectByName, detectNative, detectRuntime, isShell } from './runtime-detect.js';

const execFileP = promisify(execFile);
let work: string;
const children: ChildProcess[] = [];

/** Starts a real process and reads it back through /proc once it has exec'd. */
async function startProcess(cmd: string, args: string[]): Promise<ProcessInfo> {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return readProcess(child.pid!);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'squash-detect-'));
  await writeFile(join(work, 'go.mod'), 'module example.com/sleeper\n\ngo 1.19\n');
  await writeFile(join(work, 'main.go'), 'package main\n\nimport "time"\n\nfunc main() { time.Sleep(time.Hour) }\n');
  await writeFile(join(work, 'Sleeper.java'), 'class Sleeper { public static void main(String[] a) throws Exception { Thread.sleep(3600_000); } }\n');
  await writeFile(join(work, 'sleeper.c'), '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n');
  const goEnv = { ...process.env, GOCACHE: join(work, 'gocache'), GOPATH: join(work, 'gopath'), GOFLAGS: '-mod=mod', GOPROXY: 'off', CGO_ENABLED: '0' };
  await Promise.all([
    execFileP('/usr/bin/go', ['build', '-o', join(work, 'go-sleeper'), '.'], { cwd: work, env: goEnv }),
    execFileP('gcc', ['-g', '-O0', '-o', join(work, 'c-sleeper-g'), join(work, 'sleeper.c')]),
    execFileP('gcc', ['-O2', '-o', join(work, 'c-sleeper'), join(work, 'sleeper.c')]),
  ]);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
});

describe('detectRuntime on real processes', () => {
  it('knows a Go binary by its .go.buildinfo section, with DWARF', async () => {
    const info = await startProcess(join(work, 'go-sleeper'), []);
    expect(await detectRuntime(info)).toEqual({ runtime: 'go', evidence: 'ELF section .go.buildinfo', hasDebugInfo: true });
  });

  it('knows a C binary built with -g, and one without debug info', async () => {
    const withDebug = await startProcess(join(work, 'c-sleeper-g'), []);
    const without = await startProcess(join(work, 'c-sleeper'), []);
    expect(await detectRuntime(withDebug)).toMatchObject({ runtime: 'c', hasDebugInfo: true });
    expect(await detectRuntime(without)).toMatchObject({ runtime: 'c', hasDebugInfo: false, evidence: 'ELF executable without debug info' });
  });

  it('knows Debian python3 (a versioned interpreter name)', async () => {
    const info = await startProcess('/usr/bin/python3', ['-c', 'import time; time.sleep(3600)']);
    expect(await detectRuntime(info)).toEqual({ runtime: 'python', evidence: 'exe /usr/bin/python3.11' });
  });

  it('knows node', async () => {
    const info = await startProcess(process.execPath, ['-e', 'setTimeout(() => {}, 3600_000)']);
    expect(await detectRuntime(info)).toEqual({ runtime: 'node', evidence: `exe ${process.execPath}` });
  });

  it.skipIf(!existsSync('/usr/bin/java'))('knows java through the JDK path', async () => {
    // Source-file mode keeps a JVM running without a compile step.
    const info = await startProcess('/usr/bin/java', [join(work, 'Sleeper.java')]);
    expect(await detectRuntime(info)).toMatchObject({ runtime: 'java', evidence: expect.stringMatching(/^exe \/usr\/lib\/jvm\/.*\/bin\/java$/) });
  });
});

const fakeProc: ProcessInfo = { pid: 1, ppid: 0, exe: '', cmdline: [], comm: 'x', uid: 0, namespaces: {} };

describe('detectByName', () => {
  it.each([
    ['/usr/bin/node', [], 'node'],
    ['/usr/bin/nodejs', [], 'node'],
    ['/root/.pyenv/versions/3.12.1/bin/python3.12', [], 'python'],
    ['/usr/bin/python3.11 (deleted)', [], 'python'],
    ['', ['python3', 'app.py'], 'python'],
    ['', ['node', '--inspect', 'server.js'], 'node'],
    ['/usr/bin/bash', ['python3'], undefined],
    ['/usr/bin/nodemon', [], undefined],
  ])('exe %s, argv %j → %s', (exe, cmdline, runtime) => {
    expect(detectByName({ ...fakeProc, exe, cmdline })?.runtime).toBe(runtime);
  });
});

describe('isShell', () => {
  it.each([
    ['/usr/bin/bash', ['-bash'], true],
    ['/usr/bin/dash', ['/bin/sh', '-c', 'x'], true],
    ['/usr/bin/zsh', ['zsh'], true],
    ['/bin/busybox', ['/bin/sh', '/entrypoint.sh'], true],
    ['/bin/busybox', ['httpd', '-f'], false],
    ['', ['-bash'], true],
    ['/usr/bin/python3.11', ['python3', 'sh'], false],
    ['/usr/sbin/sshd', ['sshd: me@pts/0'], false],
  ])('exe %s, argv %j → %s', (exe, cmdline, shell) => {
    expect(isShell({ ...fakeProc, exe, cmdline })).toBe(shell);
  });
});

describe('ELF reading', () => {
  const fakeFile = (bytes: Buffer) => async (_path: string, position: number, length: number) =>
    bytes.subarray(position, position + length);

  it('lists section names of a real binary', async () => {
    const elf = await readElf(join(work, 'c-sleeper-g'));
    expect(elf.sections.map((s) => s.name)).toEqual(expect.arrayContaining(['.text', '.debug_info', '.shstrtab']));
  });

  it('says clearly that 32-bit and big-endian ELF are not supported', async () => {
    const head = Buffer.alloc(64);
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1]).copy(head);
    const err = await readElf('/x/app', fakeFile(head)).catch((e: unknown) => e);
    expect(isLoopError(err, 'RUNTIME_UNSUPPORTED')).toBe(true);
    expect((err as Error).message).toBe('cannot inspect /x/app: 32-bit ELF is not supported (only 64-bit)');
    head[4] = 2;
    head[5] = 2;
    await expect(readElf('/x/app', fakeFile(head))).rejects.toThrow('big-endian');
  });

  it('gives no runtime for a file that is not ELF, or cannot be read', async () => {
    expect(await detectNative('/x/script', fakeFile(Buffer.from('#!/bin/sh\n')))).toBeUndefined();
    expect(await detectNative(join(work, 'does-not-exist'))).toBeUndefined();
  });
});
