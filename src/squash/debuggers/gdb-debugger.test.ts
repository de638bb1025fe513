import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachSession } from '../squash-types.js';
import { isAlive } from './debugger.js';
import { createGdbDebugger } from './gdb-debugger.js';
import { connectGdbRemote, gdbPacket, parseGdbReply } from './gdb-remote-client.js';
import { elapsed, outputGrows, startTarget, type Target } from './test-targets.test-helper.js';

const C_MAIN = `#include <stdio.h>
#include <unistd.h>
int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  for (long i = 0;; i++) { printf("tick %ld\\n", i); usleep(20000); }
}
`;

describe('gdb remote packets', () => {
  it.each([
    ['qSupported', '$qSupported#37'],
    ['D', '$D#44'],
    ['g', '$g#67'],
  ])('frames %s with its checksum', (payload, framed) => {
    expect(gdbPacket(payload)).toBe(framed);
  });

  it('reads a reply after an acknowledgement', () => {
    expect(parseGdbReply('+$OK#9a')).toEqual({ payload: 'OK', rest: '' });
    expect(parseGdbReply('+$OK#9')).toBeUndefined();
  });
});

describe('gdb debugger', () => {
  let dir: string;
  let bin: string;
  let target: Target | undefined;
  let session: AttachSession | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'squash-gdb-'));
    writeFileSync(join(dir, 'main.c'), C_MAIN);
    bin = join(dir, 'ticker');
    execFileSync('gcc', ['-g', '-O0', '-o', bin, join(dir, 'main.c')]);
  });

  afterAll(async () => {
    await session?.detach(); // a failed test must not leave a debugger behind
    target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('attaches gdbserver to a running C program, answers the remote protocol, and detaches leaving it running', async () => {
    target = startTarget(bin, []);
    await target.line(/tick 1/);
    const gdb = createGdbDebugger();
    expect(await gdb.available()).toEqual({ ok: true });

    const t0 = process.hrtime.bigint();
    session = await gdb.attach(target.pid);
    console.log(`gdbserver attach ready in ${elapsed(t0)} ms`);
    expect(session.endpoint).toMatchObject({ runtime: 'c', protocol: 'gdb-remote', host: '127.0.0.1', pid: target.pid });

    const client = await connectGdbRemote('127.0.0.1', session.endpoint.port);
    expect(await client.request('qSupported:multiprocess+;swbreak+')).toMatch(/PacketSize=[0-9a-f]+/);
    // The thread list names the target's main thread (pid.tid in multiprocess form, or tid).
    expect(await client.request('qfThreadInfo')).toMatch(new RegExp(`^m.*${target.pid.toString(16)}`));
    client.close();

    await session.detach();
    await session.ended;
    expect(isAlive(target.pid)).toBe(true);
    expect(await outputGrows(target.child)).toBe(true);
  });

  it('names the package when gdbserver is missing', async () => {
    expect(await createGdbDebugger({ command: '/nonexistent/gdbserver' }).available()).toMatchObject({ ok: false, package: 'gdbserver' });
  });
});
