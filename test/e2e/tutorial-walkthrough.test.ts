// The README's walk-through, verbatim, against `loop demo` (what `npm start` runs): real processes, real
// HTTP. Ports are 0 here so the test never collides with a running demo; the commands are the README's.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOP_BIN, ROOT, loopctl, runCli } from './harness.js';

let demo: ChildProcess;
let dataDir: string;
let loopUrl: string;
let gatewayUrl: string;
let webUrl: string;
let output = '';

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'loop-demo-'));
  const ports = ['--loop-port', '--gateway-port', '--admin-port', '--web-port', '--blue-port', '--green-port'].flatMap((f) => [f, '0']);
  demo = spawn(process.execPath, [LOOP_BIN, 'demo', ...ports, '--data-dir', dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  demo.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: demo.stdout! }).on('line', (line) => {
      output += line + '\n';
      const m = /loop server (http:\/\/\S+)\s+gateway (http:\/\/\S+) → web (http:\/\/\S+)/.exec(line);
      if (m) {
        [loopUrl, gatewayUrl, webUrl] = [m[1]!, m[2]!, m[3]!];
      }
      if (line.startsWith('Ctrl-C stops everything')) resolve();
    });
    demo.once('exit', (code) => reject(new Error(`loop demo exited with ${code}:\n${output}`)));
  });
});

afterAll(async () => {
  if (demo && demo.exitCode === null) {
    const exited = new Promise((resolve) => demo.once('exit', resolve));
    demo.kill('SIGINT');
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

/** Captures are shipped asynchronously by the gateway's tap; wait (bounded) until `count` are listed. */
async function listUntil(count: number): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const list = await loopctl(loopUrl, ['list', '-o', 'json']);
    if ((JSON.parse(list.stdout) as { items: unknown[] }).items.length >= count) return (await loopctl(loopUrl, ['list'])).stdout;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fewer than ${count} captures listed after 10 s`);
}

describe("the tutorial's walk-through", () => {
  it('prints what to try next', () => {
    expect(output).toContain("The tutorial's world is up. Payment is green");
    // The demo runs on other ports than the defaults here: the commands name the loop server, web and gateway.
    expect(output).toContain(`npx loopctl --server ${loopUrl} replay --id 1 --destination web.default:9090`);
    expect(output).toContain(`npx loop demo switch blue --web ${webUrl}`);
    expect(output).toContain(`curl -v ${gatewayUrl.replace('http://127.0.0.1', 'localhost')}`);
  });

  it('curl through the gateway answers 500 while payment is green, and the failure is captured', async () => {
    const res = await fetch(gatewayUrl);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: expect.stringContaining('payment timed out') });
    expect(await listUntil(1)).toBe(
      [
        '+----+------+------+--------+------------------+',
        '| ID | PATH | VERB | STATUS |   DESTINATION    |',
        '+----+------+------+--------+------------------+',
        '|  1 | /    | GET  |    500 | web.default:9090 |',
        '+----+------+------+--------+------------------+',
        '',
      ].join('\n'),
    );
  });

  it('replays the failure to web.default:9090 and still sees 500', async () => {
    const r = await loopctl(loopUrl, ['replay', '--id', '1', '--destination', 'web.default:9090']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^replayed capture 1 to web\.default:9090 \(127\.0\.0\.1:\d+\): 500 in \d+ ms/);
  });

  it('after switching payment to blue, the replay answers 200 and the diff shows 500 → 200', async () => {
    const sw = await runCli(LOOP_BIN, ['demo', 'switch', 'blue', '--web', webUrl]);
    expect(sw).toMatchObject({ code: 0, stdout: 'payment is now blue\n' });
    const r = await loopctl(loopUrl, ['replay', '--id', '1', '--destination', 'web.default:9090']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(': 200 in ');
    expect(r.stdout).toContain('status: 500 → 200');
    expect(r.stdout).toContain('- $.error: "payment timed out after 1000 ms"');
  });

  it('does not capture successful exchanges', async () => {
    const res = await fetch(gatewayUrl);
    expect(res.status).toBe(200);
    // A 500 after the 200 proves shipping has caught up past it.
    await runCli(LOOP_BIN, ['demo', 'switch', 'green', '--web', webUrl]);
    expect((await fetch(gatewayUrl)).status).toBe(500);
    const list = await listUntil(2);
    expect(list).not.toContain('200');
    expect(list.match(/\| +500 \|/g)).toHaveLength(2);
  });

  it('Ctrl-C stops everything and leaves no process behind', async () => {
    const pids = childPids(demo.pid!);
    expect(pids.length).toBe(2); // loop serve and loop gateway
    const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});

function childPids(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return out.split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
