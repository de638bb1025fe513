// The gateway's own HTTP/1.1 server over real sockets on loopback: raw bytes in, raw bytes out, so framing,
// keep-alive and refusals are seen exactly as a client sees them. (The proxy on top of it is tested in
// reverse-proxy.test.ts, which runs against both server sides.)
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred } from './gateway-fixtures.test-helper.js';
import { Http1Server, type Http1Listener, type Http1Request, type Http1ServerOptions } from './http1-server.js';

const servers: Http1Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function serve(listener: Http1Listener, options: Http1ServerOptions = {}): Promise<number> {
  const server = new Http1Server(listener, options);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** A raw client: what it has read so far, and a promise per awaited condition. */
interface Client {
  socket: net.Socket;
  text(): string;
  /** Resolves with everything read once `pattern` matches it (or the connection closes: then rejects). */
  until(pattern: RegExp | ((text: string) => boolean)): Promise<string>;
  closed: Promise<string>;
}

function connect(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    let text = '';
    const waiters: Array<() => void> = [];
    const closed = deferred<string>();
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      for (const w of waiters.splice(0)) w();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed.resolve(text);
      for (const w of waiters.splice(0)) w();
    });
    let isClosed = false;
    void closed.promise.then(() => (isClosed = true));
    socket.once('connect', () =>
      resolve({
        socket,
        text: () => text,
        closed: closed.promise,
        until(pattern) {
          const test = typeof pattern === 'function' ? pattern : (t: string) => pattern.test(t);
          return new Promise((ok, fail) => {
            const check = (): void => {
              if (test(text)) ok(text);
              else if (isClosed || socket.destroyed) fail(new Error(`connection closed; read ${JSON.stringify(text)}`));
              else waiters.push(check);
            };
            check();
          });
        },
      }),
    );
    socket.once('error', reject);
  });
}

/** Responses in `text`, split at their heads: [status line + headers, body] each, for Content-Length bodies. */
function responses(text: string): Array<{ head: string; body: string }> {
  const out: Array<{ head: string; body: string }> = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = text.slice(at, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    out.push({ head, body: text.slice(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return out;
}

const count = (text: string, what: string): number => text.split(what).length - 1;

/** Answers with the method and target it was asked, once the body (whatever its length) has arrived. */
const echo: Http1Listener = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.once('end', () => res.end(Buffer.from(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`)));
};

describe('keep-alive and framing', () => {
  it('serves several requests on one connection, a body ended at once going out with a Content-Length', async () => {
    const port = await serve(echo);
    const c = await connect(port);
    c.socket.write('GET /one HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.until((t) => responses(t).length === 1);
    c.socket.write('POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc');
    const [first, second] = responses(await c.until((t) => responses(t).length === 2));
    // Keep-Alive: how long the server keeps an idle connection (node:http says so too), so clients let it go first.
    expect(first!.head).toMatch(/^HTTP\/1\.1 200 OK\r\nContent-Length: 9\r\nKeep-Alive: timeout=65$/);
    expect(first!.body).toBe('GET /one ');
    expect(second!.body).toBe('POST /two abc');
    expect(c.text()).not.toMatch(/transfer-encoding|connection:/i);
  });

  it('says its own keep-alive timeout in whole seconds (none under one), and adds nothing to a Connection the handler set', async () => {
    const heads = async (options: Http1ServerOptions, listener: Http1Listener = echo) => {
      const c = await connect(await serve(listener, options));
      c.socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      return responses(await c.until((t) => responses(t).length === 1))[0]!.head;
    };
    expect(await heads({ keepAliveTimeoutMs: 5_900 })).toMatch(/\r\nKeep-Alive: timeout=5$/);
    expect(await heads({ keepAliveTimeoutMs: 900 })).toBe('HTTP/1.1 200 OK\r\nContent-Length: 6');
    const own = await heads({}, (_req, res) => {
      res.writeHead(200, ['Connection', 'keep-alive', 'Content-Length', '2']);
      res.end(Buffer.from('ok'));
    });
    expect(own).toBe('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2');
  });

  it('answers pipelined requests in order, reading the next only once the previous response is finished', async () => {
    const started: string[] = [];
    const release = deferred();
    const port = await serve((req, res) => {
      started.push(req.url);
      if (req.url === '/slow') void release.promise.then(() => res.end(Buffer.from('slow')));
      else res.end(Buffer.from('fast'));
    });
    const c = await connect(port);
    c.socket.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\n\r\nGET /fast2 HTTP/1.1\r\nHost: a\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(started).toEqual(['/slow']);
    release.resolve();
    const all = responses(await c.until((t) => responses(t).length === 3));
    expect(all.map((r) => r.body)).toEqual(['slow', 'fast', 'fast']);
    expect(started).toEqual(['/slow', '/fast', '/fast2']);
  });

  it('reads the same requests whatever the pieces they arrive in: pipelined, one byte per read', async () => {
    const port = await serve(echo);
    const c = await connect(port);
    const bytes = Buffer.from(
      'GET /a HTTP/1.1\r\nHost: a\r\n\r\n' +
        'POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
        'POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n' +
        'GET /d HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    for (let i = 0; i < bytes.length; i++) {
      c.socket.write(bytes.subarray(i, i + 1));
      if (i % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    const all = responses(await c.until((t) => responses(t).length === 4));
    expect(all.map((r) => r.body)).toEqual(['GET /a ', 'POST /b hello', 'POST /c abc', 'GET /d ']);
  });

  it('reads random pipelined requests cut at random points the same as whole ones (seeded)', async () => {
    let seed = 20261127;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const port = await serve(echo);
    for (let round = 0; round < 40; round++) {
      const expected: string[] = [];
      let bytes = '';
      const count = 1 + next(5);
      for (let i = 0; i < count; i++) {
        const body = 'b'.repeat(next(3) === 0 ? 0 : next(3000));
        const path = `/r${round}-${i}`;
        const kind = next(3);
        if (kind === 0 || body === '') {
          bytes += `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`;
          expected.push(`GET ${path} `);
        } else if (kind === 1) {
          bytes += `POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
          expected.push(`POST ${path} ${body}`);
        } else {
          const cut = next(body.length);
          const chunks = [body.slice(0, cut), body.slice(cut)].filter((c) => c !== '');
          bytes += `POST ${path} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('')}0\r\nX-T: ${i}\r\n\r\n`;
          expected.push(`POST ${path} ${body}`);
        }
      }
      const c = await connect(port);
      const raw = Buffer.from(bytes, 'latin1');
      let at = 0;
      while (at < raw.length) {
        const n = 1 + next(600);
        c.socket.write(raw.subarray(at, at + n));
        at += n;
        if (next(2) === 0) await new Promise((r) => setImmediate(r));
      }
      const got = responses(await c.until((t) => responses(t).length === expected.length));
      expect(got.map((r) => r.body)).toEqual(expected);
      c.socket.destroy();
    }
  });

  it('chunks a body written in pieces in HTTP/1.1, with trailers', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, ['Content-Type', 'text/plain']);
      res.write(Buffer.from('hello '));
      res.addTrailers([['X-Checksum', 'abc']]);
      res.end(Buffer.from('world'));
    });
    const c = await connect(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const text = await c.until((t) => t.endsWith('0\r\nX-Checksum: abc\r\n\r\n'));
    expect(text).toBe('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=65\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\nX-Checksum: abc\r\n\r\n');
  });

  it('ends an HTTP/1.0 response of unknown length by closing, and keeps a 1.0 connection that asks for keep-alive', async () => {
    const port = await serve((_req, res) => {
      res.write(Buffer.from('part '));
      res.end(Buffer.from('end'));
    });
    const c = await connect(port);
    c.socket.write('GET / HTTP/1.0\r\n\r\n');
    expect(await c.closed).toBe('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npart end');

    const port2 = await serve(echo);
    const k = await connect(port2);
    k.socket.write('GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await k.until((t) => responses(t).length === 1);
    k.socket.write('GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const both = responses(await k.until((t) => responses(t).length === 2));
    expect(both[0]!.head).toMatch(/\r\nConnection: keep-alive\r\nKeep-Alive: timeout=65$/);
    expect(both[1]!.body).toBe('GET /b ');
  });

  it('sends no body after HEAD, 204 or 304, whatever the handler writes', async () => {
    const port = await serve((req, res) => {
      res.writeHead(req.url === '/204' ? 204 : 200, ['Content-Length', '4']);
      res.end(Buffer.from('body'));
    });
    const c = await connect(port);
    c.socket.write('HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /204 HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const text = await c.until((t) => t.endsWith('body'));
    expect(text).toBe('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nKeep-Alive: timeout=65\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 4\r\nKeep-Alive: timeout=65\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\nKeep-Alive: timeout=65\r\n\r\nbody');
  });

  it('closes after a response that says Connection: close', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, ['Connection', 'close', 'Content-Length', '2']);
      res.end(Buffer.from('ok'));
    });
    const c = await connect(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(count(await c.closed, 'HTTP/1.1 200')).toBe(1);
  });

  it('lets go of a connection it closes even when the client never closes its side', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, ['Connection', 'close', 'Content-Length', '2']);
      res.end(Buffer.from('ok'));
    });
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    sockets.push(socket);
    const ended = new Promise<void>((resolve) => socket.once('end', resolve));
    socket.resume();
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await ended;
    const connections = (): Promise<number> => new Promise((resolve, reject) => servers[0]!.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    await expect.poll(connections).toBe(0);
  });

  it('cuts the connection when a response ends short of its Content-Length, rather than leave the client waiting', async () => {
    const closed = deferred<boolean>();
    const port = await serve((_req, res) => {
      res.once('close', () => closed.resolve(res.writableFinished));
      res.writeHead(200, ['Content-Length', '10']);
      res.end(Buffer.from('short'));
    });
    const c = await connect(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(await c.closed).toBe('HTTP/1.1 200 OK\r\nContent-Length: 10\r\nKeep-Alive: timeout=65\r\n\r\nshort');
    expect(await closed.promise).toBe(false);
  });

  it("leaves the connection alone when a finished response is destroyed: it carries the next request by then", async () => {
    const port = await serve((req, res) => {
      res.end(Buffer.from(req.url));
      if (req.url === '/first') setTimeout(() => res.destroy(), 20);
    });
    const c = await connect(port);
    c.socket.write('GET /first HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.until((t) => responses(t).length === 1);
    await new Promise((r) => setTimeout(r, 50));
    c.socket.write('GET /second HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(responses(await c.until((t) => responses(t).length === 2)).map((r) => r.body)).toEqual(['/first', '/second']);
  });

  it('refuses to write a header value with CR or LF (no response splitting)', async () => {
    const thrown = deferred<string>();
    const port = await serve((_req, res) => {
      try {
        res.writeHead(200, ['X-Evil', 'a\r\nSet-Cookie: x=1']);
      } catch (err) {
        thrown.resolve((err as Error).message);
      }
      res.writeHead(500, ['Content-Length', '0']);
      res.end();
    });
    const c = await connect(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(await thrown.promise).toMatch(/X-Evil/);
    expect(await c.until(/\r\n\r\n/)).toBe('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nKeep-Alive: timeout=65\r\n\r\n');
  });
});

describe('request bodies', () => {
  it('streams a chunked body to data listeners and gives its trailers at the end', async () => {
    const seen = deferred<{ chunks: string[]; trailers: string[] }>();
    const port = await serve((req, res) => {
      const chunks: string[] = [];
      req.on('data', (c: Buffer) => chunks.push(c.toString()));
      req.once('end', () => {
        seen.resolve({ chunks, trailers: req.rawTrailers });
        res.end(Buffer.from('done'));
      });
    });
    const c = await connect(port);
    c.socket.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
    await new Promise((r) => setTimeout(r, 20));
    c.socket.write('2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n');
    expect(await seen.promise).toEqual({ chunks: ['abc', 'de'], trailers: ['X-Sum', '5'] });
    expect(responses(await c.until(/done$/))[0]!.body).toBe('done');
  });

  it('stops reading the connection while the request is paused, and goes on when it resumes', async () => {
    const paused = deferred<Http1Request>();
    let received = 0;
    let pausedOnce = false;
    const port = await serve((req, res) => {
      req.on('data', (c: Buffer) => {
        received += c.length;
        if (received >= 64 * 1024 && !pausedOnce) {
          pausedOnce = true;
          req.pause();
          paused.resolve(req);
        }
      });
      req.once('end', () => res.end(Buffer.from(String(received))));
    });
    const c = await connect(port);
    const size = 8 * 1024 * 1024;
    c.socket.write(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`);
    let written = 0;
    const block = Buffer.alloc(64 * 1024, 'x');
    // The client writes as fast as the connection takes it: with the server not reading, the kernel's buffers
    // fill well short of 8 MiB.
    const pump = (): void => {
      while (written < size) {
        written += block.length;
        if (!c.socket.write(block)) return;
      }
    };
    c.socket.on('drain', pump);
    pump();
    const req = await paused.promise;
    expect(req.isPaused()).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    const whilePaused = received;
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toBe(whilePaused);
    expect(received).toBeLessThan(size);
    req.resume();
    expect(responses(await c.until(new RegExp(`\\r\\n\\r\\n${size}$`)))[0]!.body).toBe(String(size));
  });

  it('reads and drops a body the handler did not read, and the connection carries the next request', async () => {
    const port = await serve((req, res) => res.end(Buffer.from(`seen ${req.url}`)));
    const c = await connect(port);
    c.socket.write(`POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\n\r\n`);
    await c.until((t) => responses(t).length === 1);
    c.socket.write(Buffer.alloc(200_000, 'y'));
    c.socket.write('GET /next HTTP/1.1\r\nHost: a\r\n\r\n');
    const all = responses(await c.until((t) => responses(t).length === 2));
    expect(all.map((r) => r.body)).toEqual(['seen /upload', 'seen /next']);
  });

  it('answers Expect: 100-continue with 100 before the handler reads the body (no checkContinue given)', async () => {
    const port = await serve(echo);
    const c = await connect(port);
    c.socket.write('POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n');
    await c.until(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    c.socket.write('hi');
    expect(await c.until(/hi$/)).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\nContent-Length: 10\r\nKeep-Alive: timeout=65\r\n\r\nPOST \/e hi$/);
  });

  it('hands Expect: 100-continue to checkContinue when there is one', async () => {
    const port = await serve(echo, {
      checkContinue: (_req, res) => {
        res.writeHead(413, ['Content-Length', '0']);
        res.end();
      },
    });
    const c = await connect(port);
    c.socket.write('POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 99999\r\nExpect: 100-continue\r\n\r\n');
    expect(await c.until(/\r\n\r\n/)).toBe('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nKeep-Alive: timeout=65\r\n\r\n');
  });
});

describe('refusals', () => {
  it.each([
    ['a malformed request line', 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'malformed request line'],
    ['Transfer-Encoding with Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 400, 'both Transfer-Encoding and Content-Length'],
    ['an HTTP/1.1 request without Host', 'GET / HTTP/1.1\r\n\r\n', 400, 'without Host'],
    ['HTTP/2.0 on an HTTP/1 connection', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505, 'HTTP/2.0 is not supported'],
    ['a head over the limit', `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(2000)}\r\n\r\n`, 431, 'larger than 1024 bytes'],
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 501, 'CONNECT is not supported'],
    ['an expectation other than 100-continue', 'GET / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n', 417, 'the expectation "magic" is not supported'],
  ])('answers %s with its status and a message, then closes', async (_what, bytes, status, message) => {
    let handled = 0;
    const port = await serve(
      (_req, res) => {
        handled++;
        res.end();
      },
      { maxHeadBytes: 1024 },
    );
    const c = await connect(port);
    c.socket.write(bytes);
    const text = await c.closed;
    expect(text).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(text).toMatch(/\r\nConnection: close\r\n/);
    expect(text).toContain(message);
    expect(handled).toBe(0);
  });

  it('refuses a body it cannot read after the handler has the request: the handler sees the connection close', async () => {
    const closed = deferred<boolean>();
    const port = await serve((_req, res) => res.once('close', () => closed.resolve(res.writableFinished)));
    const c = await connect(port);
    c.socket.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
    await new Promise((r) => setTimeout(r, 20));
    c.socket.write('zz\r\n');
    expect(await c.closed).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[^]*malformed chunk-size line/);
    expect(await closed.promise).toBe(false);
  });
});

describe('timeouts and closing', () => {
  it('answers 400 at once to a head whose lines end with LF alone, rather than wait for a CRLF CRLF', async () => {
    // Such a head never holds the blank CRLF line that ends a head: it used to wait for the headers timeout.
    const port = await serve(echo);
    const c = await connect(port);
    c.socket.write('GET / HTTP/1.1\nHost: a\n\n');
    const text = await c.closed;
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('bare LF');
  });

  it('answers 408 to a head that takes longer than the headers timeout', async () => {
    const port = await serve(echo, { headersTimeoutMs: 100 });
    const c = await connect(port);
    c.socket.write('GET / HTTP/1.1\r\nHo');
    const text = await c.closed;
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(text).toContain('the request head took longer than 100 ms');
  });

  it('closes a connection idle for the keep-alive timeout, and not one that is busy', async () => {
    const release = deferred();
    const port = await serve(
      (req, res) => {
        if (req.url === '/slow') void release.promise.then(() => res.end(Buffer.from('late')));
        else res.end(Buffer.from('ok'));
      },
      { keepAliveTimeoutMs: 100 },
    );
    const idle = await connect(port);
    idle.socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(responses(await idle.closed).map((r) => r.body)).toEqual(['ok']);

    const busy = await connect(port);
    busy.socket.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n');
    await new Promise((r) => setTimeout(r, 300));
    release.resolve();
    expect(responses(await busy.until(/late$/))[0]!.body).toBe('late');
  });

  it('close() closes idle connections at once and busy ones after their response', async () => {
    const release = deferred();
    const port = await serve((req, res) => {
      if (req.url === '/slow') void release.promise.then(() => res.end(Buffer.from('late')));
      else res.end(Buffer.from('ok'));
    });
    const idle = await connect(port);
    idle.socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await idle.until(/ok$/);
    const busy = await connect(port);
    busy.socket.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n');
    await new Promise((r) => setTimeout(r, 20));
    const stopped = new Promise<void>((resolve) => servers[0]!.close(() => resolve()));
    await idle.closed;
    release.resolve();
    const text = await busy.closed;
    expect(text).toBe('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nlate');
    await stopped;
  });

  it('abandons the exchange of a client that half-closes before its answer, as node:http does', async () => {
    const closed = deferred<boolean>();
    const port = await serve((_req, res) => res.once('close', () => closed.resolve(res.writableFinished)));
    const c = await connect(port);
    c.socket.end('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(await closed.promise).toBe(false);
    expect(await c.closed).toBe('');
  });
});
