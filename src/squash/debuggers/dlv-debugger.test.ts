import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachSession } from '../squash-types.js';
import { isAlive } from './debugger.js';
import { createDlvDebugger } from './dlv-debugger.js';
import { connectDlvRpc } from './dlv-rpc-client.js';
import { elapsed, httpGetText, startTarget, type Target } from './test-targets.test-helper.js';

const GO_MAIN = `package main

import (
	"fmt"
	"net"
	"net/http"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Printf("listening %d\\n", ln.Addr().(*net.TCPAddr).Port)
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "pong") }))
}
`;

describe('dlv debugger', () => {
  let dir: string;
  let bin: string;
  let target: Target | undefined;
  let session: AttachSession | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'squash-dlv-'));
    writeFileSync(join(dir, 'main.go'), GO_MAIN);
    writeFileSync(join(dir, 'go.mod'), 'module target\n\ngo 1.19\n');
    // A shared build cache keeps reruns fast; GOPROXY=off proves no network is needed.
    const cache = join(tmpdir(), 'squash-test-gocache');
    mkdirSync(cache, { recursive: true });
    bin = join(dir, 'target');
    execFileSync('go', ['build', '-gcflags=all=-N -l', '-o', bin, '.'], {
      cwd: dir,
      env: { ...process.env, GOCACHE: cache, GOPATH: join(dir, 'gopath'), GOFLAGS: '-mod=mod', GOPROXY: 'off' },
    });
  }, 180_000);

  afterAll(async () => {
    await session?.detach(); // a failed test must not leave a debugger behind
    target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('attaches to a running Go program, serves JSON-RPC, and detaches leaving it serving', async () => {
    target = startTarget(bin, []);
    const port = Number((await target.line(/listening (\d+)/))[1]);
    const dlv = createDlvDebugger();
    expect(await dlv.available()).toEqual({ ok: true });

    const t0 = process.hrtime.bigint();
    session = await dlv.attach(target.pid, { timeoutMs: 20_000 });
    console.log(`dlv attach ready in ${elapsed(t0)} ms`);
    expect(session.endpoint).toMatchObject({ runtime: 'go', protocol: 'dlv', host: '127.0.0.1', pid: target.pid });

    const rpc = await connectDlvRpc('127.0.0.1', session.endpoint.port);
    const state = await rpc.call<{ State: { exited: boolean } }>('RPCServer.State', { NonBlocking: true });
    expect(state.State.exited).toBe(false);
    expect(await rpc.call('RPCServer.GetVersion', {})).toMatchObject({ APIVersion: 2 });
    rpc.close();
    // --continue: the target serves while the debugger is attached.
    expect(await httpGetText(port)).toBe('pong');

    await session.detach();
    await session.ended;
    expect(isAlive(target.pid)).toBe(true);
    expect(await httpGetText(port)).toBe('pong');
  });

  it('says the target does not exist', async () => {
    await expect(createDlvDebugger().attach(2 ** 22 + 12345)).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND' });
  });

  it('names the package when dlv is missing', async () => {
    const dlv = createDlvDebugger({ command: '/nonexistent/dlv' });
    expect(await dlv.available()).toMatchObject({ ok: false, package: 'delve' });
    await expect(dlv.attach(process.pid)).rejects.toMatchObject({ code: 'DEBUGGER_NOT_INSTALLED' });
  });
});
