// A file of its own: fetch's timers start with the first request a process makes, so the clock faked here
// must be in place before any other test of this process has used fetch.
import http from 'node:http';
import { expect, it, vi } from 'vitest';
import { listen } from '../../core/listen.js';
import { createLoopClient } from './loop-client.js';

// loopctl replay --timeout 10m to a service stopped at a breakpoint for 5 minutes said "cannot reach the loop
// server … (UND_ERR_HEADERS_TIMEOUT)" with "start it with loop serve" (exit 4): fetch's own limit on waiting
// for headers. The server stored the replay once the service answered.
it("waits past fetch's own 5 minutes for the answer to a replay", async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = await listen(
    http.createServer((req, res) => void released.then(() => res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":1}'))),
    { host: '127.0.0.1', port: 0 },
  );
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
  try {
    const client = createLoopClient({ server: server.url });
    const replay = client.json('POST', '/v1/captures/1/replays', { destination: 'web.default:9090' }, { timeoutMs: Infinity });
    replay.catch(() => undefined);
    for (let s = 0; s < 330; s++) await vi.advanceTimersByTimeAsync(1000);
    vi.useRealTimers();
    release();
    await expect(replay).resolves.toEqual({ id: 1 });
  } finally {
    vi.useRealTimers();
    await server.close();
  }
});
