// The gateway's upstream client against real sockets on loopback: raw TCP servers that answer exactly the
// bytes a case needs (stale connections, bytes after a response, responses without length, keep-alive
// hints), node:http servers for the ordinary cases, and a TLS server with a certificate made by openssl.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionInfo } from '../../capture/capture.js';
import { UpstreamClient, type UpstreamClientOptions, type UpstreamError, type UpstreamOrigin, type UpstreamRequest } from './upstream-client.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function client(options: Partial<UpstreamClientOptions> = {}): UpstreamClient {
  const c = new UpstreamClient({ connections: 8, keepAliveTimeoutMs: 4_000, ...options });
  cleanups.push(() => c.close());
  return c;
}

async function listening(server: net.Server): Promise<UpstreamOrigin> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as net.AddressInfo;
  return { protocol: server instanceof https.Server ? 'https:' : 'http:', host: '127.0.0.1', port };
}

/** A raw TCP server: `onRequest(socket, connectionIndex, requestIndexOnConnection, head)` per request head. */
async function rawServer(onRequest: (socket: net.Socket, connection: number, index: number, head: string) => void): Promise<{ origin: UpstreamOrigin; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const connection = connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let index = 0;
    let buffered = '';
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        onRequest(socket, connection, index++, head);
      }
    });
  });
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
  });
  return { origin: await listening(server), connections: () => connections };
}

interface Outcome {
  status?: number;
  raw?: string[];
  body: string;
  trailers?: string[] | undefined;
  error?: UpstreamError;
  continued: boolean;
  connection?: ConnectionInfo;
}

function call(c: UpstreamClient, origin: UpstreamOrigin, request: Partial<UpstreamRequest> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { body: '', continued: false };
    c.request(
      origin,
      { method: 'GET', path: '/', headers: ['Host', 'up'], body: null, chunked: false, timeoutMs: 5_000, ...request },
      {
        onContinue: () => (out.continued = true),
        onResponse(status, _reason, raw, connection) {
          Object.assign(out, { status, raw, connection });
          return true;
        },
        onData(chunk) {
          out.body += chunk.toString('latin1');
          return true;
        },
        onEnd(trailers) {
          out.trailers = trailers;
          resolve(out);
        },
        onError(error) {
          out.error = error;
          resolve(out);
        },
      },
    );
  });
}

const OK = (body: string, extra = ''): string => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

describe('UpstreamClient: connections', () => {
  it('reuses a keep-alive connection for sequential requests, and reports its addresses', async () => {
    const up = await rawServer((socket, conn, i) => socket.write(OK(`c${conn} r${i}`)));
    const c = client();
    const a = await call(c, up.origin);
    const b = await call(c, up.origin);
    expect([a.body, b.body]).toEqual(['c0 r0', 'c0 r1']);
    expect(a.connection?.remote).toEqual({ address: '127.0.0.1', port: up.origin.port });
    expect(a.connection?.local?.address).toBe('127.0.0.1');
  });

  it('reports a stale keep-alive connection the upstream closed as a reset on a reused connection, before any response byte', async () => {
    const up = await rawServer((socket, _conn, i) => (i === 0 ? socket.write(OK('first')) : socket.destroy()));
    const c = client();
    expect((await call(c, up.origin)).body).toBe('first');
    const second = await call(c, up.origin);
    expect(second.error).toMatchObject({ code: 'UPSTREAM_RESET', reused: true, responseStarted: false });
    // The next request gets a fresh connection.
    expect((await call(c, up.origin)).body).toBe('first');
    expect(up.connections()).toBe(2);
  });

  it('does not reuse a connection that sent bytes after its response', async () => {
    const up = await rawServer((socket, conn) => socket.write(OK(`c${conn}`) + 'HTTP/1.1 200 OK\r\n'));
    const c = client();
    expect((await call(c, up.origin)).body).toBe('c0');
    expect((await call(c, up.origin)).body).toBe('c1');
  });

  it('does not reuse a connection the upstream said it would close, nor past its Keep-Alive timeout hint', async () => {
    const up = await rawServer((socket, conn, i) => {
      if (conn === 0) socket.end(OK('closing', 'Connection: close\r\n'));
      else socket.write(OK(`c${conn} r${i}`, 'Keep-Alive: timeout=1\r\n'));
    });
    const c = client();
    expect((await call(c, up.origin)).body).toBe('closing');
    expect((await call(c, up.origin)).body).toBe('c1 r0');
    // timeout=1 s, kept a second under: never pooled.
    expect((await call(c, up.origin)).body).toBe('c2 r0');
  });

  it('closes idle connections after the keep-alive timeout', async () => {
    const up = await rawServer((socket, conn) => socket.write(OK(`c${conn}`)));
    let now = 0;
    const c = client({ keepAliveTimeoutMs: 1_000, clock: () => now });
    expect((await call(c, up.origin)).body).toBe('c0');
    now = 1_500;
    expect((await call(c, up.origin)).body).toBe('c1');
  });

  it('queues requests beyond the connection limit, and times out one that waits too long', async () => {
    let release: (() => void) | undefined;
    const up = await rawServer((socket, conn, i) => {
      if (i === 0) release = () => socket.write(OK(`c${conn} r${i}`));
      else socket.write(OK(`c${conn} r${i}`));
    });
    const c = client({ connections: 1 });
    const first = call(c, up.origin);
    const second = call(c, up.origin);
    const third = call(c, up.origin, { timeoutMs: 50 });
    expect((await third).error).toMatchObject({ code: 'UPSTREAM_HEADERS_TIMEOUT', message: expect.stringContaining('no free connection') });
    release!();
    expect((await first).body).toBe('c0 r0');
    expect((await second).body).toBe('c0 r1');
    expect(up.connections()).toBe(1);
  });

  it('says the connection was refused', async () => {
    const server = net.createServer();
    const origin = await listening(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    cleanups.pop();
    const out = await call(client(), origin);
    expect(out.error).toMatchObject({ code: 'UPSTREAM_REFUSED', message: 'refused the connection' });
    expect((out.error!.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('speaks TLS to an https upstream it trusts, and names the certificate problem of one it does not', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'upstream-tls-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
    const server = https.createServer({ cert: await readFile(cert), key: await readFile(key) }, (req, res) => res.end(`tls ${req.url}`));
    const origin = await listening(server);
    expect((await call(client({ tls: { ca: await readFile(cert) } }), origin, { path: '/x' })).body).toBe('tls /x');
    const untrusted = await call(client(), origin);
    expect(untrusted.error).toMatchObject({ code: 'UPSTREAM_FAILED', message: expect.stringContaining('SELF_SIGNED') });
  });
});

describe('UpstreamClient: messages', () => {
  it('sends the head as given, a Buffer body with it, and reads a chunked response with trailers', async () => {
    let seen = '';
    const up = await rawServer((socket, _c, _i, head) => {
      seen = head;
      socket.write('HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\n');
    });
    const out = await call(client(), up.origin, { method: 'POST', path: '/p?q=1', headers: ['Host', 'up', 'X-A', '1', 'x-a', '2', 'Content-Length', '5'], body: Buffer.from('hello') });
    expect(seen).toBe('POST /p?q=1 HTTP/1.1\r\nHost: up\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 5');
    expect(out).toMatchObject({ status: 201, body: 'abc', trailers: ['X-Sum', '9'] });
  });

  it('streams a request body chunked with its trailers, and relays 100 Continue', async () => {
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => res.end(JSON.stringify({ body, te: req.headers['transfer-encoding'], trailers: req.trailers })));
    });
    const origin = await listening(server);
    // A downstream request stands in: an http server's IncomingMessage fed by a real client.
    const front = http.createServer();
    front.on('checkContinue', (req, res) => {
      res.writeContinue();
      const c = client();
      void call(c, origin, { method: 'PUT', headers: ['Host', 'up', 'Expect', '100-continue'], body: req, chunked: true, trailers: () => (req.rawTrailers.length > 0 ? req.rawTrailers : undefined) }).then((out) =>
        res.end(JSON.stringify(out)),
      );
    });
    const frontOrigin = await listening(front);
    const reply = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: frontOrigin.port, method: 'PUT', headers: { expect: '100-continue', 'transfer-encoding': 'chunked', trailer: 'x-t' } });
      req.on('continue', () => {
        req.write('part1-');
        req.addTrailers({ 'x-t': 'tv' });
        req.end('part2');
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
    });
    const out = JSON.parse(reply) as Outcome;
    expect(out.continued).toBe(true);
    expect(JSON.parse(out.body)).toEqual({ body: 'part1-part2', te: 'chunked', trailers: { 'x-t': 'tv' } });
  });

  it('reads no body for HEAD, and a body without length until the connection closes', async () => {
    const up = await rawServer((socket, _c, _i, head) => {
      if (head.startsWith('HEAD')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n');
      else socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end');
    });
    const c = client();
    expect(await call(c, up.origin, { method: 'HEAD' })).toMatchObject({ status: 200, body: '' });
    expect(await call(c, up.origin)).toMatchObject({ status: 200, body: 'until the end' });
  });

  it('fails a response it cannot read safely, and a connection closed mid-body', async () => {
    const up = await rawServer((socket, conn) => {
      if (conn === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab');
      else socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    });
    const c = client();
    expect((await call(c, up.origin)).error).toMatchObject({ code: 'UPSTREAM_INVALID_RESPONSE', message: 'sent an invalid response: conflicting Content-Length values' });
    const cut = await call(c, up.origin);
    expect(cut.status).toBe(200);
    expect(cut.error).toMatchObject({ code: 'UPSTREAM_RESET', responseStarted: true, message: 'closed the connection before the response was complete' });
  });

  it('times out a response body that stops arriving, but not one held back by a slow reader', async () => {
    const up = await rawServer((socket, conn) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab`);
      if (conn === 1) setTimeout(() => socket.write('cd'), 200);
    });
    const c = client();
    expect((await call(c, up.origin, { timeoutMs: 100 })).error).toMatchObject({ code: 'UPSTREAM_BODY_TIMEOUT', responseStarted: true });

    // Paused by the reader for longer than the timeout: no timeout.
    const done = await new Promise<Outcome>((resolve) => {
      const out: Outcome = { body: '', continued: false };
      const running = c.request(up.origin, { method: 'GET', path: '/', headers: ['Host', 'up'], body: null, chunked: false, timeoutMs: 100 }, {
        onContinue() {},
        onResponse: (status) => ((out.status = status), true),
        onData(chunk) {
          out.body += chunk.toString();
          if (out.body === 'ab') {
            setTimeout(() => running.resume(), 300);
            return false;
          }
          return true;
        },
        onEnd: () => resolve(out),
        onError: (error) => resolve({ ...out, error }),
      });
    });
    expect(done).toMatchObject({ status: 200, body: 'abcd' });
    expect(done.error).toBeUndefined();
  });
});
