import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isAlive } from './debugger.js';
import { bindsBeyondLoopback, createJavaDebugger, parseJdwpAgent } from './java-debugger.js';
import { elapsed, httpGetText, jdwpVersion, startTarget, type Target } from './test-targets.test-helper.js';

describe('parseJdwpAgent', () => {
  it.each([
    ['-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=5005', '', 5005, false],
    ['-agentlib:jdwp=transport=dt_socket,server=y,address=*:5006', '*', 5006, true],
    ['-agentlib:jdwp=transport=dt_socket,server=y,address=127.0.0.1:5007', '127.0.0.1', 5007, false],
    ['-agentlib:jdwp=transport=dt_socket,server=y,address=0.0.0.0:5008,onjcmd=y', '0.0.0.0', 5008, true],
    ['-Xrunjdwp:transport=dt_socket,server=y,address=localhost:5009', 'localhost', 5009, false],
  ])('%s → host %j port %d, beyond loopback %s', (arg, host, port, beyond) => {
    const agent = parseJdwpAgent(['java', arg, 'Main'])!;
    expect(agent).toMatchObject({ host, port, server: true, transport: 'dt_socket' });
    expect(bindsBeyondLoopback(agent)).toBe(beyond);
  });

  it('sees onjcmd and ignores JVMs without the agent', () => {
    expect(parseJdwpAgent(['-agentlib:jdwp=transport=dt_socket,server=y,address=1,onjcmd=y'])?.onjcmd).toBe(true);
    expect(parseJdwpAgent(['java', '-Xmx1g', 'Main'])).toBeUndefined();
  });
});

const SERVICE = `
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
public class Service {
  public static void main(String[] args) throws Exception {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.createContext("/", x -> { byte[] b = "pong".getBytes(); x.sendResponseHeaders(200, b.length); x.getResponseBody().write(b); x.close(); });
    s.start();
    System.out.println("listening " + s.getAddress().getPort());
  }
}
`;

describe('java debugger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'squash-java-'));
  writeFileSync(join(dir, 'Service.java'), SERVICE);
  const targets: Target[] = [];
  afterEach(() => {
    for (const t of targets.splice(0)) t.stop();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the JDWP port of a JVM started for debugging and speaks JDWP to it', async () => {
    // address=…:0 lets the JVM pick (no port guessing in the test); the agent prints the port it chose,
    // which the debugger must find on its own from the JVM's sockets.
    const target = startTarget('java', ['-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:0', join(dir, 'Service.java')]);
    targets.push(target);
    await target.line(/Listening for transport dt_socket at address: (\d+)/);
    const port = Number((await target.line(/listening (\d+)/))[1]);
    const warnings: string[] = [];
    const java = createJavaDebugger({ warn: (m) => warnings.push(m) });
    const t0 = process.hrtime.bigint();
    const session = await java.attach(target.pid);
    console.log(`jdwp endpoint ready in ${elapsed(t0)} ms`);
    expect(session.endpoint).toMatchObject({ runtime: 'java', protocol: 'jdwp', host: '127.0.0.1', pid: target.pid });
    // The agent announces the port it listens on after the discovery probe; that is the endpoint.
    await target.line(new RegExp(`at address: ${session.endpoint.port}\\b`));
    expect(warnings).toEqual([]);

    const version = await jdwpVersion(session.endpoint.port);
    expect(version.handshake).toBe('JDWP-Handshake');
    expect(version.errorCode).toBe(0);
    expect(version.description).toMatch(/Java|VM/i);

    await session.detach();
    expect(isAlive(target.pid)).toBe(true);
    expect(await httpGetText(port)).toBe('pong');
  }, 60_000);

  it('says how to start a JVM that was not started for debugging', async () => {
    const target = startTarget('java', [join(dir, 'Service.java')]);
    targets.push(target);
    await target.line(/listening (\d+)/);
    const err = await createJavaDebugger().attach(target.pid).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'JVM_NOT_DEBUGGABLE' });
    expect((err as { hint: string }).hint).toContain('-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:5005');
    expect((err as { hint: string }).hint).toContain(`jcmd ${target.pid} VM.start_java_debugging`);
  }, 60_000);
});
