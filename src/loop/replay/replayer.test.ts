// Replaying a captured protocol switch (a WebSocket handshake) against real servers on loopback: the handshake
// is asked for again, a 101 is the answer, and a destination that declines shows its own answer. And the
// plan's header overrides where the replay derives a header itself (Host, the body's framing).
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { headerValue, type Capture, type HeaderList } from '../../capture/capture.js';
import { listen, type Listening } from '../../core/listen.js';
import { resolveDestination } from './destination.js';
import { planReplay, sendReplay } from './replayer.js';

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

/** A node:http server answering plain requests 426; with `websocket`, a ws server takes the upgrades. */
async function destination(websocket: boolean): Promise<{ listening: Listening; seen: http.IncomingHttpHeaders[] }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.writeHead(426, { 'content-type': 'text/plain' }).end('upgrade required');
  });
  if (websocket) {
    const wss = new WebSocketServer({ server });
    wss.on('headers', (_headers, req) => seen.push(req.headers));
    open.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  }
  const listening = await listen(server, { host: '127.0.0.1', port: 0 });
  open.push(() => listening.close());
  return { listening, seen };
}

const handshake = (headers: HeaderList): Capture => ({
  id: 7,
  capturedAt: '2026-11-27T19:00:00.000Z',
  tapConfig: 'default/all',
  source: 'gateway',
  destination: 'chat.default:80',
  durationMs: 4,
  request: {
    headers: [[':method', 'GET'], [':path', '/chat'], [':authority', 'chat.default'], [':scheme', 'http'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ...headers],
    trailers: [],
  },
  response: { headers: [[':status', '101'], ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=']], trailers: [] },
});

describe('replaying a protocol switch', () => {
  it('asks for the switch again and takes the 101 as the answer, with the same accept key', async () => {
    const dest = await destination(true);
    const target = resolveDestination(`127.0.0.1:${dest.listening.port}`, {});
    const plan = planReplay(handshake([['Connection', 'Upgrade'], ['Upgrade', 'websocket']]), target, {});
    expect(plan.warnings).toEqual(['the request asks to switch protocols (Upgrade: websocket): the replay repeats the handshake and closes the connection after the answer']);
    const outcome = await sendReplay(plan, target, { timeoutMs: 5_000, maxBodyBytes: 1024 });
    expect(headerValue(outcome.response.headers, ':status')).toBe('101');
    expect(headerValue(outcome.response.headers, 'sec-websocket-accept')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(dest.seen[0]!.upgrade).toBe('websocket');
    expect(dest.seen[0]!['x-loop-replay-of']).toBe('7');
  });

  it('shows the answer of a destination that does not switch', async () => {
    const dest = await destination(false);
    const target = resolveDestination(`127.0.0.1:${dest.listening.port}`, {});
    const outcome = await sendReplay(planReplay(handshake([['connection', 'keep-alive, upgrade'], ['upgrade', 'websocket']]), target, {}), target, { timeoutMs: 5_000, maxBodyBytes: 1024 });
    expect(headerValue(outcome.response.headers, ':status')).toBe('426');
    expect(outcome.response.body?.bytes.toString()).toBe('upgrade required');
  });

  it('sends a captured Upgrade header that Connection did not name as nothing but a plain request', async () => {
    const dest = await destination(true);
    const target = resolveDestination(`127.0.0.1:${dest.listening.port}`, {});
    const plan = planReplay(handshake([['Upgrade', 'websocket']]), target, {});
    expect(plan.warnings).toEqual([]);
    expect(plan.headers.map(([n]) => n.toLowerCase())).not.toContain('upgrade');
    const outcome = await sendReplay(plan, target, { timeoutMs: 5_000, maxBodyBytes: 1024 });
    expect(headerValue(outcome.response.headers, ':status')).toBe('426');
  });
});

// Overrides (loopctl replay -H) of headers the replay derives itself: an overridden Host went out next to
// the derived one (two Host headers, the first winning), and a Content-Length override left the
// destination waiting for a body that never came until the replay timed out.
describe('header overrides the replay derives itself', () => {
  const get = handshake([]);
  const target = resolveDestination('127.0.0.1:8080', {});

  it('an overridden Host replaces the one from the destination, in any letter case', () => {
    const plan = planReplay(get, target, { overrideHeaders: [['Host', 'shop.example']] });
    expect(plan.headers.filter(([name]) => name.toLowerCase() === 'host')).toEqual([['host', 'shop.example']]);
    expect(planReplay(get, target, {}).headers.filter(([name]) => name === 'host')).toEqual([['host', '127.0.0.1:8080']]);
  });

  it.each([['Content-Length', '999'], ['transfer-encoding', 'chunked']])('refuses to override %s, naming it', (name, value) => {
    expect(() => planReplay(get, target, { overrideHeaders: [[name, value]] })).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST', message: `replay: headers.${name.toLowerCase()} cannot be set: the replay frames the captured body itself` }),
    );
  });
});
