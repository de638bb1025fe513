import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachSession } from '../squash-types.js';
import { isAlive } from './debugger.js';
import { createGdbDebugger, killFilter, packetScanner, protocolTracker } from './gdb-debugger.js';
import { connectGdbRemote, gdbPacket, parseGdbReply } from './gdb-remote-client.js';
import { elapsed, outputGrows, startTarget, type Target } from './test-targets.test-helper.js';

const C_MAIN = `#include <stdio.h>
#include <unistd.h>
int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  for (long i = 0;; i++) { printf("tick %ld\\n", i); usleep(20000); }
}
`;

describe('killFilter (what of the client reaches gdbserver: all but kill requests)', () => {
  const filter = (...chunks: string[]): { forwarded: string; answered: string[] } => {
    let forwarded = '';
    const answered: string[] = [];
    const feed = killFilter((b) => (forwarded += b.toString('latin1')), (r) => answered.push(r));
    for (const c of chunks) feed(Buffer.from(c, 'latin1'));
    return { forwarded, answered };
  };
  const kill = gdbPacket('vKill;1a2b');

  it.each([
    ['other packets, acks and the interrupt byte pass unchanged', ['+$qSupported:multiprocess+#c6+$Z0,401136,1#a1-+\x03$c#63'], '+$qSupported:multiprocess+#c6+$Z0,401136,1#a1-+\x03$c#63', []],
    ['vKill is answered OK and not passed on', [`+${kill}+$qfThreadInfo#bb`], '++$qfThreadInfo#bb', ['+$OK#9a']],
    ['k is acknowledged and not passed on', ['$k#6b'], '', ['+']],
    ['a vKill split at every byte', [...kill], '', ['+$OK#9a']],
    ['a packet split at every byte passes whole', [...'$m401136,4#f4'], '$m401136,4#f4', []],
    ['vKillX is not a kill (needs the ;)', [gdbPacket('vKillX')], gdbPacket('vKillX'), []],
  ])('%s', (_, chunks, forwarded, answered) => {
    expect(filter(...chunks)).toEqual({ forwarded, answered });
  });
});

describe('packetScanner (what the lazy gdb relay reads of the stream it passes on)', () => {
  const scan = (...chunks: string[]): string[] => {
    const heads: string[] = [];
    const feed = packetScanner((head) => heads.push(head));
    for (const c of chunks) feed(Buffer.from(c, 'latin1'));
    return heads;
  };

  it('reports each packet, skipping acks, checksums and the interrupt byte between them', () => {
    expect(scan('+$qSupported:multiprocess+#c6+$Z0,401136,1#a1-+\x03$c#63')).toEqual(['qSupported:multiprocess+', 'Z0,401136,1', 'c']);
  });

  it('joins a packet split across chunks at any byte', () => {
    const stream = '$vCont;c:p1.-1#0f+$T05thread:p1.1;#00';
    for (let cut = 1; cut < stream.length; cut++) {
      expect(scan(stream.slice(0, cut), stream.slice(cut))).toEqual(['vCont;c:p1.-1', 'T05thread:p1.1;']);
    }
  });

  it('reports a non-stop notification (%) like a packet', () => {
    expect(scan('%Stop:T05thread:p1.1;#00')).toEqual(['Stop:T05thread:p1.1;']);
  });

  it('keeps the first 64 characters of a long packet, and binary data (escaped with }) stays inside it', () => {
    const memory = `M1000,80:${'}\x03'.repeat(100)}`;
    const [head, next] = scan(`$${memory}#00$OK#9a`);
    expect(head).toBe(memory.slice(0, 64));
    expect(next).toBe('OK');
  });
});

describe('protocolTracker (what the relay must undo when a client vanishes)', () => {
  it('a resume makes the target running until gdbserver answers anything but console output', () => {
    const t = protocolTracker();
    for (const resume of ['c', 'C05', 's', 'S05', 'vCont;c', 'vCont;s:p1.1', 'bc']) {
      t.fromClient(resume);
      expect(t.state.running, resume).toBe(true);
      t.fromServer('O48656c6c6f');
      expect(t.state.running, `${resume} then console output`).toBe(true);
      t.fromServer('T05thread:p1.1;');
      expect(t.state.running, `${resume} then a stop reply`).toBe(false);
    }
    for (const query of ['qSupported:multiprocess+', 'vCont?', 'g', 'm401136,4', 'QStartNoAckMode']) {
      t.fromClient(query);
      expect(t.state.running, query).toBe(false);
    }
  });

  it('keeps the breakpoints and watchpoints inserted and not removed, and notices non-stop mode', () => {
    const t = protocolTracker();
    t.fromClient('Z0,401136,1');
    t.fromClient('Z2,7ffc0010,4');
    t.fromClient('Z1,401200,1;X2,abcd');
    t.fromClient('z0,401136,1');
    expect([...t.state.breakpoints]).toEqual(['2,7ffc0010,4', '1,401200,1']);
    expect(t.state.nonStop).toBe(false);
    t.fromClient('QNonStop:1');
    expect(t.state.nonStop).toBe(true);
    t.fromClient('QNonStop:0');
    expect(t.state.nonStop).toBe(false);
  });
});

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
