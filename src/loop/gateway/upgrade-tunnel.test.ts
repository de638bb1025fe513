// Protocol upgrades through the gateway, over real loopback connections: a real WebSocket server (ws) behind
// it and a real WebSocket client in front, on both server sides; declines, failures and closing.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { cleanupAfterEach, closedPortAddress, deferred, recordingTap, SERVER_KINDS, startTestGateway, startUpstream, type Upstream } from './gateway-fixtures.test-helper.js';

const { cleanups, track } = cleanupAfterEach();

interface WsUpstream extends Upstream {
  /** Request heads the WebSocket server accepted. */
  seen: http.IncomingMessage[];
}

/** A WebSocket echo server (text upper-cased, binary as is) on a node:http server that answers plain requests too. */
async function wsUpstream(): Promise<WsUpstream> {
  const up = await startUpstream((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('plain answer');
  });
  const seen: http.IncomingMessage[] = [];
  const wss = new WebSocketServer({ server: up.server });
  wss.on('connection', (ws, req) => {
    seen.push(req);
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : data.toString().toUpperCase(), { binary: isBinary }));
  });
  cleanups.push(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await up.close();
  });
  return Object.assign(up, { seen });
}

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    cleanups.push(async () => ws.terminate());
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

/** Sends raw bytes and collects every byte the gateway sends back until it ends the connection. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Half-open allowed: the client does not close its side when the gateway closes its own (a client that
    // never closes); the exchange is over when the gateway's side ends.
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => socket.write(bytes));
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('end', () => {
      resolve(out);
      socket.destroy();
    });
  });
}

const UPGRADE_HEAD = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: app.example\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n`;

for (const server of SERVER_KINDS) {
  describe(`protocol upgrades (server: ${server})`, () => {
    it('carries a WebSocket both ways, text and a 1 MiB binary message, and closes it cleanly', async () => {
      const up = await wsUpstream();
      const tap = recordingTap();
      const gw = track(await startTestGateway({ server, routes: [{ prefix: '/', destination: up.address }], tap }));
      const ws = await connect(`ws://127.0.0.1:${gw.port}/chat?room=1`, { 'x-forwarded-for': '203.0.113.9' });

      ws.send('hello');
      expect((await nextMessage(ws)).data.toString()).toBe('HELLO');
      const big = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = i % 251;
      ws.send(big);
      const echoed = await nextMessage(ws);
      expect(echoed.isBinary).toBe(true);
      expect(echoed.data.equals(big)).toBe(true);
      expect(gw.gateway.inFlight()).toBe(1);

      // The upstream saw the client's Host and path, and this hop in X-Forwarded-For.
      expect(up.seen[0]!.url).toBe('/chat?room=1');
      expect(up.seen[0]!.headers.host).toBe(`127.0.0.1:${gw.port}`);
      expect(up.seen[0]!.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
      expect(up.seen[0]!.headers.upgrade).toBe('websocket');

      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.close(1000, 'done');
      expect(await closed).toBe(1000);
      await expect.poll(() => gw.gateway.inFlight()).toBe(0);

      // The tap saw the exchange up to the switch: the request head and the 101, nothing of what followed.
      const [exchange] = await tap.ended(1);
      expect(exchange!.info.method).toBe('GET');
      expect(exchange!.status).toBe(101);
      expect(exchange!.responseHeaders!.map(([n]) => n.toLowerCase())).toEqual(expect.arrayContaining(['upgrade', 'connection', 'sec-websocket-accept']));
      expect(exchange!.responseBody.length).toBe(0);
      expect(exchange!.ended!.error).toBeUndefined();
    });

    it('forwards the answer of an upstream that declines, then closes the connection', async () => {
      const up = track(
        await startUpstream((req, res) => {
          req.resume();
          res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
          res.end('use a websocket properly');
        }),
      );
      const tap = recordingTap();
      const gw = track(await startTestGateway({ server, routes: [{ prefix: '/', destination: up.address }], tap }));
      const answer = await rawExchange(gw.port, UPGRADE_HEAD('/x'));
      expect(answer).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
      expect(answer).toContain('\r\nConnection: close\r\n');
      expect(answer.endsWith('\r\n\r\nuse a websocket properly')).toBe(true);
      const [exchange] = await tap.ended(1);
      expect(exchange!.status).toBe(426);
      expect(exchange!.responseBody.toString()).toBe('use a websocket properly');
      await expect.poll(() => gw.gateway.inFlight()).toBe(0);
    });

    it('sends the bytes that follow the upgrade request only after the 101: an upstream that declines never reads them', async () => {
      // They went upstream with the head, so an upstream that declined read them as its next request: a request
      // smuggled past the routes, X-Forwarded-For and the tap (node:http stops reading after an upgrade request
      // it declines; servers that go on, as HTTP/1.1 allows, ran it).
      const received = deferred<string>();
      const raw = net.createServer((socket) => {
        let bytes = '';
        socket.on('error', () => {});
        socket.on('data', (d: Buffer) => {
          if (bytes === '') socket.write('HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\nno upgrade here');
          bytes += d.toString('latin1');
        });
        socket.on('close', () => received.resolve(bytes));
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise<void>((resolve) => raw.close(() => resolve())));
      const gw = track(await startTestGateway({ server, routes: [{ prefix: '/', destination: `127.0.0.1:${(raw.address() as net.AddressInfo).port}` }] }));
      const answer = await rawExchange(gw.port, `${UPGRADE_HEAD('/x')}GET /admin HTTP/1.1\r\nHost: internal\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nno upgrade here$/);
      const upstreamRead = await received.promise; // the gateway closes the upstream connection after a decline
      expect(upstreamRead).toMatch(/^GET \/x HTTP\/1\.1\r\n/);
      expect(upstreamRead).not.toContain('/admin');

      // After a 101 the same early bytes are the new protocol's, and go on.
      const echo = track(await startUpstream((_req, res) => res.end()));
      echo.server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
        socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n');
        if (head.length > 0) socket.end(head);
        else socket.once('data', (d: Buffer) => socket.end(d));
      });
      const gw2 = track(await startTestGateway({ server, routes: [{ prefix: '/', destination: echo.address }] }));
      const switched = await rawExchange(gw2.port, `${UPGRADE_HEAD('/x')}early bytes`);
      expect(switched).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n[^]*\r\n\r\nearly bytes$/);
    });

    it('forwards a large declining answer whole, at the pace of the client', async () => {
      const big = Buffer.alloc(4 * 1024 * 1024, 'z');
      const up = track(await startUpstream((req, res) => req.resume().on('end', () => res.writeHead(400, { 'content-type': 'text/plain' }).end(big))));
      const gw = track(await startTestGateway({ server, routes: [{ prefix: '/', destination: up.address }] }));
      const answer = await rawExchange(gw.port, UPGRADE_HEAD('/big'));
      expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
      expect(body.length).toBe(big.length);
      expect(body === big.toString('latin1')).toBe(true);
    });

    it('answers 404 without a route, 502 when the upstream refuses and 504 when it never answers, tapped as failures', async () => {
      const silent = deferred<net.Socket>();
      const mute = net.createServer((s) => silent.resolve(s)); // accepts, reads, never answers
      await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
      cleanups.push(async () => {
        (await silent.promise.catch(() => undefined))?.destroy();
        await new Promise<void>((resolve) => mute.close(() => resolve()));
      });
      const mutePort = (mute.address() as net.AddressInfo).port;
      const tap = recordingTap();
      const gw = track(
        await startTestGateway({
          server,
          routes: [
            { prefix: '/refused', destination: await closedPortAddress() },
            { prefix: '/slow', destination: `127.0.0.1:${mutePort}`, timeoutMs: 200 },
          ],
          tap,
        }),
      );
      const noRoute = await rawExchange(gw.port, UPGRADE_HEAD('/elsewhere'));
      expect(noRoute).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
      expect(noRoute).toContain('"code":"NO_ROUTE"');
      const refused = await rawExchange(gw.port, UPGRADE_HEAD('/refused'));
      expect(refused).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
      expect(refused).toContain('"cause":"ECONNREFUSED"');
      const slow = await rawExchange(gw.port, UPGRADE_HEAD('/slow'));
      expect(slow).toMatch(/^HTTP\/1\.1 504 Gateway Timeout\r\n/);
      expect(slow).toContain('sent no response within 200 ms');

      const ended = await tap.ended(3);
      expect(ended.map((e) => e.status)).toEqual([404, 502, 504]);
      expect(ended[1]!.ended!.error).toMatch(/ECONNREFUSED|refused/);
      expect(ended[2]!.ended!.error).toContain('sent no response within 200 ms');
      await expect.poll(() => gw.gateway.inFlight()).toBe(0);
    });

    it('closes the client connection once the upstream ends the upgraded one, even if the client never closes', async () => {
      const raw = net.createServer((s) => {
        s.once('data', () => s.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nlast words'));
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise<void>((resolve) => raw.close(() => resolve())));
      const gw = track(await startTestGateway({ server, routes: [{ prefix: '/', destination: `127.0.0.1:${(raw.address() as net.AddressInfo).port}` }] }));
      // A client that never closes its side: the tunnel must be over (both connections gone) all the same.
      const client = net.connect({ port: gw.port, host: '127.0.0.1', allowHalfOpen: true }, () => client.write(UPGRADE_HEAD('/')));
      cleanups.push(async () => void client.destroy());
      let answer = '';
      client.on('data', (d: Buffer) => (answer += d.toString('latin1')));
      await new Promise((resolve) => client.once('end', resolve));
      expect(answer).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
      expect(answer.endsWith('\r\n\r\nlast words')).toBe(true);
      await expect.poll(() => gw.gateway.inFlight()).toBe(0);
      expect(client.destroyed).toBe(false);
    });

    it('cuts upgraded connections when the gateway closes', async () => {
      const up = await wsUpstream();
      const gw = await startTestGateway({ server, routes: [{ prefix: '/', destination: up.address }] });
      const ws = await connect(`ws://127.0.0.1:${gw.port}/`);
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      await gw.close();
      expect(await closed).toBe(1006); // no close frame: the connection was cut
      expect(gw.gateway.inFlight()).toBe(0);
    });
  });
}

describe('protocol upgrades to an https upstream', () => {
  it('speaks TLS to the upstream (wss behind ws) and records the upstream connection in the tap', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'upgrade-tls-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
    const server = https.createServer({ cert: await readFile(cert), key: await readFile(key) });
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`tls:${data.toString()}`)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => server.close(() => resolve())));
    });
    const port = (server.address() as net.AddressInfo).port;
    const tap = recordingTap();
    const gw = track(await startTestGateway({ routes: [{ prefix: '/', destination: `https://127.0.0.1:${port}` }], upstream: { tls: { ca: await readFile(cert) } }, tap }));
    const ws = await connect(`ws://127.0.0.1:${gw.port}/secure`);
    ws.send('hi');
    expect((await nextMessage(ws)).data.toString()).toBe('tls:hi');
    const [exchange] = await tap.ended(1);
    expect(exchange!.status).toBe(101);
    expect(exchange!.ended!.upstream).toMatchObject({ remote: { address: '127.0.0.1', port } });
  });
});

describe('upgrade requests the gateway does not treat as upgrades', () => {
  it('proxies an upgrade request with a body as an ordinary request (own server), without Upgrade', async () => {
    const up = track(
      await startUpstream((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => res.end(JSON.stringify({ upgrade: req.headers.upgrade ?? null, body: Buffer.concat(chunks).toString() })));
      }),
    );
    const gw = track(await startTestGateway({ server: 'own', routes: [{ prefix: '/', destination: up.address }] }));
    const answer = await rawExchange(gw.port, 'POST /x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, close\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\nhi');
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toContain('{"upgrade":null,"body":"hi"}');
  });

  it('refuses one with a body on the node:http side, which hands every upgrade request over (501)', async () => {
    const up = track(await startUpstream((_req, res) => res.end('never')));
    const gw = track(await startTestGateway({ server: 'node', routes: [{ prefix: '/', destination: up.address }] }));
    const answer = await rawExchange(gw.port, 'POST /x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\nhi');
    expect(answer).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n/);
    expect(answer).toContain('"code":"UPGRADE_WITH_BODY"');
  });
});
