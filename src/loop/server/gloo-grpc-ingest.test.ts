// `loop serve --grpc-listen`: Gloo's gRPC tap stream lands in the same store, with the same redaction,
// as POST /v1/taps. A real gRPC client, a real loop server and a real SQLite file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { resolveOptions } from '../../core/options-schema.js';
import { loadTapProto, pbTapRequest, tapCapture } from '../gloo/tap-proto-fixtures.test-helper.js';
import { serverOptionsSchema } from './server-options.js';
import { startLoopServer, type RunningLoopServer } from './start-loop-server.js';

let dir: string;
let running: RunningLoopServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'loop-grpc-ingest-'));
  const options = resolveOptions(serverOptionsSchema, [
    { source: 'test', values: { listen: '127.0.0.1:0', grpcListen: '127.0.0.1:0', dataDir: dir, redactHeaders: ['x-api-key'], tapConfigPollInterval: '1m' } },
  ]);
  running = await startLoopServer(options, silentLogger, { processMetrics: false });
});
afterAll(async () => {
  await running?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('loop serve --grpc-listen', () => {
  it('stores streamed traces with redaction, lists them, and counts them in metrics', async () => {
    expect(running.grpcAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const proto = await loadTapProto();
    const client = new grpc.Client(running.grpcAddress!, grpc.credentials.createInsecure());
    const status = await new Promise<grpc.status>((resolve) => {
      const call = client.makeClientStreamRequest<Buffer, Buffer>(
        '/envoy.service.tap.v3.TapService/ReportTap',
        (b) => b,
        (b) => b,
        (err) => resolve(err ? err.code : grpc.status.OK),
      );
      call.write(pbTapRequest(proto, tapCapture('/pay', 503, [['authorization', 'Bearer s3cret'], ['x-api-key', 'k']])));
      call.write(pbTapRequest(proto, tapCapture('/cart', 500)));
      call.end();
    });
    client.close();
    expect(status).toBe(grpc.status.OK);

    const list = (await (await fetch(`${running.url}/v1/captures`)).json()) as { items: Array<{ id: number; path: string; status: number; source: string }> };
    expect(list.items.map((c) => [c.path, c.status, c.source])).toEqual([
      ['/cart', 500, 'gloo'],
      ['/pay', 503, 'gloo'],
    ]);
    const pay = (await running.store.get(list.items[1]!.id))!;
    expect(pay.request.headers).toContainEqual(['authorization', '[REDACTED]']);
    expect(pay.request.headers).toContainEqual(['x-api-key', '[REDACTED]']);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toContain('loop_captures_ingested_total{format="grpc"} 2');
  });
});

describe('loop serve --grpc-listen with API tokens', () => {
  const INGEST = 'ingest-token-0123456789abcdef';
  const READ = 'read-token-0123456789abcdef';
  let secured: RunningLoopServer;
  let securedDir: string;
  beforeAll(async () => {
    securedDir = await mkdtemp(path.join(tmpdir(), 'loop-grpc-auth-'));
    const tokensFile = path.join(securedDir, 'tokens');
    await writeFile(tokensFile, `ingest ${INGEST} gloo\nread ${READ} grafana\n`);
    const options = resolveOptions(serverOptionsSchema, [
      { source: 'test', values: { listen: '127.0.0.1:0', grpcListen: '127.0.0.1:0', dataDir: securedDir, tokensFile, tapConfigPollInterval: '1m' } },
    ]);
    secured = await startLoopServer(options, silentLogger, { processMetrics: false });
  });
  afterAll(async () => {
    await secured?.close();
    await rm(securedDir, { recursive: true, force: true });
  });

  /** One ReportTap stream with `authorization` metadata (none when undefined): its status and details. */
  const report = async (authorization: string | undefined, path: string): Promise<{ code: grpc.status; details: string }> => {
    const proto = await loadTapProto();
    const client = new grpc.Client(secured.grpcAddress!, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    if (authorization !== undefined) metadata.set('authorization', authorization);
    try {
      return await new Promise((resolve) => {
        const call = client.makeClientStreamRequest<Buffer, Buffer>(
          '/envoy.service.tap.v3.TapService/ReportTap',
          (b) => b,
          (b) => b,
          metadata,
          (err) => resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' }),
        );
        call.on('error', () => undefined); // the status arrives through the callback
        call.write(pbTapRequest(proto, tapCapture(path, 502)));
        call.end();
      });
    } finally {
      client.close();
    }
  };
  const storedPaths = async (): Promise<string[]> => {
    const answer = await fetch(`${secured.url}/v1/captures`, { headers: { authorization: `Bearer ${READ}` } });
    return ((await answer.json()) as { items: Array<{ path: string }> }).items.map((c) => c.path);
  };

  it('refuses a stream without a token (UNAUTHENTICATED) and one with a read token (PERMISSION_DENIED); stores nothing from either', async () => {
    const none = await report(undefined, '/anonymous');
    expect(none.code).toBe(grpc.status.UNAUTHENTICATED);
    const unknown = await report('Bearer not-a-token-0123456789', '/unknown');
    expect(unknown.code).toBe(grpc.status.UNAUTHENTICATED);
    const read = await report(`Bearer ${READ}`, '/read-only');
    expect(read.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(read.details).toMatch(/ingest/);
    expect(`${none.details} ${unknown.details} ${read.details}`).not.toContain(READ);
    expect(await storedPaths()).toEqual([]);
  });

  it('stores a stream that carries the ingest token', async () => {
    expect(await report(`Bearer ${INGEST}`, '/with-token')).toEqual({ code: grpc.status.OK, details: '' });
    expect(await storedPaths()).toEqual(['/with-token']);
  });
});
