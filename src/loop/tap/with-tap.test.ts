// withTap: a wrapped handler answers byte for byte what the bare handler answers (raw bytes over a socket,
// only the Date line normalised), and the exchange arrives at the tap as it was sent.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaptureInput } from '../../capture/capture.js';
import { listen } from '../../core/listen.js';
import { createTap } from './tap.js';
import type { CaptureSink } from './tap-shipper.js';
import { staticTapConfigs } from './tapconfig-follower.js';
import { withTap, type RequestHandler } from './with-tap.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tapWith(match: string) {
  const got: CaptureInput[] = [];
  const shipper: CaptureSink = { enqueue: (c) => void got.push(c), flush: () => Promise.resolve(true), close: () => Promise.resolve() };
  const configs = staticTapConfigs([{ apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace: 'default', name: 'all' }, spec: { match } }]);
  return { tap: createTap({ source: 'svc', configs, shipper }), got };
}

async function serve(handler: RequestHandler): Promise<string> {
  const s = await listen(http.createServer(handler), { host: '127.0.0.1', port: 0 });
  cleanups.push(() => s.close());
  return `${s.port}`;
}

/** Sends raw request bytes (in pieces, to make the body arrive streamed) and returns every byte received until the server closes. */
function raw(port: string, pieces: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1').replace(/\r\nDate: [^\r]+/, '\r\nDate: X')));
    socket.on('error', reject);
    let i = 0;
    const next = (): void => {
      if (i < pieces.length) socket.write(pieces[i++]!, () => setTimeout(next, 5));
    };
    socket.on('connect', next);
  });
}

const withDateX = (headers: CaptureInput['response']['headers']): Array<[string, string]> => headers.map(([n, v]) => [n, n === 'Date' ? 'X' : v]);

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const HANDLERS: Record<string, RequestHandler> = {
  'setHeader, chunked writes, end': (_req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.setHeader('Set-Cookie', ['a=1', 'b=2']);
    res.statusCode = 500;
    res.write('hello ');
    res.write(Buffer.from('wörld '));
    res.end('bye', 'utf8');
  },
  'writeHead with an object, end with a string': (_req, res) => {
    res.writeHead(503, 'Slow Down', { 'content-type': 'application/json', 'X-Retry': 3 }).end('{"error":"busy"}');
  },
  'writeHead with a raw array after setHeader': (_req, res) => {
    res.setHeader('x-early', 'yes');
    res.writeHead(201, ['Location', '/items/7', 'X-Multi', 'a']);
    res.end();
  },
  'echo a streamed request body with trailers (async iteration)': (req, res) => {
    void body(req).then((b) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', trailer: 'x-sum' });
      res.write(b);
      res.addTrailers({ 'x-sum': String(b.length) });
      res.end();
    });
  },
  'pipe the request into the response (flowing mode)': (req, res) => {
    res.setHeader('content-type', 'text/plain');
    req.pipe(res);
  },
  'read() in paused mode, then HEAD-like 204': (req, res) => {
    req.on('readable', () => {
      while (req.read() !== null) {
        // drain
      }
    });
    req.on('end', () => res.writeHead(204).end('ignored body'));
  },
};

const UPLOAD = [
  'POST /upload?x=1 HTTP/1.1\r\nHost: svc:9091\r\nAuthorization: Bearer t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
  '5\r\nhello\r\n',
  '6\r\n world\r\n',
  '0\r\nX-Checksum: 1\r\n\r\n',
];

describe('withTap', () => {
  for (const [name, handler] of Object.entries(HANDLERS)) {
    it(`answers byte for byte like the bare handler: ${name}`, async () => {
      const { tap, got } = tapWith('true');
      const plain = await raw(await serve(handler), UPLOAD);
      const tapped = await raw(await serve(withTap(handler, tap)), UPLOAD);
      expect(tapped).toBe(plain);
      if (name.startsWith('echo')) expect(plain).toContain('Transfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n0\r\nx-sum: 11\r\n\r\n');
      expect(plain).toMatch(/^HTTP\/1\.1 \d{3}/);
      expect(got).toHaveLength(1);
      expect(got[0]!.request.headers.slice(0, 5)).toEqual([[':method', 'POST'], [':path', '/upload?x=1'], [':authority', 'svc:9091'], [':scheme', 'http'], ['Host', 'svc:9091']]);
      if (!name.startsWith('setHeader') && !name.startsWith('writeHead')) {
        expect(got[0]!.request.body?.bytes.toString()).toBe('hello world');
        expect(got[0]!.request.trailers).toEqual([['X-Checksum', '1']]);
      }
    });
  }

  it('records what the handler sent: status, headers in order, body, trailers', async () => {
    const { tap, got } = tapWith('responseHeaders[":status"] == prefix("5")');
    const port = await serve(withTap(HANDLERS['setHeader, chunked writes, end']!, tap, { destination: 'payment:9091' }));
    await raw(port, ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    const c = got[0]!;
    expect(c.destination).toBe('payment:9091');
    // The head as it went out (Date added by Node), less hop-by-hop headers (Connection, Transfer-Encoding).
    expect(withDateX(c.response.headers)).toEqual([[':status', '500'], ['Content-Type', 'text/plain'], ['Set-Cookie', '[REDACTED]'], ['Set-Cookie', '[REDACTED]'], ['Date', 'X']]);
    expect(c.response.body?.bytes.toString()).toBe('hello wörld bye');
    expect(c.downstream?.remote?.address).toBe('127.0.0.1');

    const t = tapWith('true');
    await raw(await serve(withTap(HANDLERS['echo a streamed request body with trailers (async iteration)']!, t.tap)), UPLOAD);
    expect(t.got[0]!.response.trailers).toEqual([['x-sum', '11']]);
    expect(t.got[0]!.response.body?.bytes.toString()).toBe('hello world');
    expect(t.got[0]!.request.headers).toContainEqual(['Authorization', '[REDACTED]']);

    const w = tapWith('true');
    await raw(await serve(withTap(HANDLERS['writeHead with a raw array after setHeader']!, w.tap)), ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    expect(withDateX(w.got[0]!.response.headers)).toEqual([[':status', '201'], ['x-early', 'yes'], ['Location', '/items/7'], ['X-Multi', 'a'], ['Date', 'X']]);

    // Content-Length that Node worked out from end(data): a replay's response has it, so the original must too.
    const e = tapWith('true');
    const ended: RequestHandler = (_req, res) => {
      res.statusCode = 500;
      res.setHeader('content-type', 'text/plain');
      res.end('boom');
    };
    await raw(await serve(withTap(ended, e.tap)), ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    expect(withDateX(e.got[0]!.response.headers)).toEqual([[':status', '500'], ['content-type', 'text/plain'], ['Date', 'X'], ['Content-Length', '4']]);
  });

  it('does not touch requests no TapConfig can match', async () => {
    const { tap, got } = tapWith('requestHeaders[":path"] == "/only"');
    const handler: RequestHandler = (_req, res) => res.end('x');
    let patched = true;
    const port = await serve(withTap((req, res) => {
      patched = Object.hasOwn(res, 'write');
      handler(req, res);
    }, tap));
    await raw(port, ['GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    expect(patched).toBe(false);
    expect(got).toHaveLength(0);
  });

  it('ends the exchange with an error when the client goes away first', async () => {
    const { tap, got } = tapWith('true');
    let closed!: () => void;
    const done = new Promise<void>((r) => (closed = r));
    const port = await serve(withTap((_req: IncomingMessage, res: ServerResponse) => {
      res.write('partial');
      res.on('close', () => setImmediate(closed));
    }, tap));
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    socket.once('data', () => socket.destroy());
    await done;
    expect(got).toHaveLength(1);
    expect(got[0]!.response.body?.bytes.toString()).toBe('partial');
    // Taken when the request came: the socket is closed by the time the exchange ends.
    expect(got[0]!.downstream?.remote?.address).toBe('127.0.0.1');
  });
});
