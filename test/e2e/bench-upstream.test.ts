import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../../src/core/spawn-server.js';
import { ROOT } from './harness.js';

// The built upstream the gateway bench measures every proxy against.
const UPSTREAM = path.join(ROOT, 'dist/bench/bench-upstream.js');

interface Answer {
  status: number;
  body: Buffer;
  reusedSocket: boolean;
}

function post(url: string, agent: http.Agent, body: Buffer, chunked: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(body.length) };
    const req = http.request(new URL('/bench/x', url), { method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), reusedSocket: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (chunked) {
      req.write(body.subarray(0, 100));
      req.end(body.subarray(100));
    } else req.end(body);
  });
}

describe('the gateway bench upstream', () => {
  let upstream: SpawnedServer;
  beforeAll(async () => {
    upstream = await spawnServer([UPSTREAM], { name: 'bench upstream' });
  });
  afterAll(async () => {
    await upstream?.stop();
  });

  it('reads each body to the end and answers 200 with 1 KiB of JSON, on one kept-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const body = Buffer.alloc(1024, 'a');
      const answers = [await post(upstream.url, agent, body, false), await post(upstream.url, agent, body, true), await post(upstream.url, agent, body, false)];
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(a.body.length).toBe(1024);
        expect(JSON.parse(a.body.toString()).data).toMatch(/^x+$/);
      }
      // Bodies left unread would make the next request on the connection unreadable: these reuse it.
      expect(answers.map((a) => a.reusedSocket)).toEqual([false, true, true]);
    } finally {
      agent.destroy();
    }
  });
});
