// Gloo's gRPC tap sink over a real HTTP/2 connection on loopback, called by a real @grpc/grpc-js
// client on the same method path Gloo uses, with TapRequests encoded by protobufjs (not our codec).
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureInput } from '../../capture/capture.js';
import { LoopError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { createTapGrpcSink, listenTapGrpcSink, type TapGrpcListening, type TapGrpcSink } from './tap-grpc-sink.js';
import { loadTapProto, pbTapRequest, tapCapture, type TapProto } from './tap-proto-fixtures.test-helper.js';

let proto: TapProto;
beforeAll(async () => {
  proto = await loadTapProto();
});

interface Harness {
  sink: TapGrpcSink;
  listening: TapGrpcListening;
  stored: CaptureInput[];
  /** Resolves once `n` captures have been stored. */
  storedCount(n: number): Promise<void>;
  client: grpc.Client;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    h.client.close();
    await h.listening.close();
  }
});

async function start(options: { ingest?: (captures: CaptureInput[]) => Promise<void>; maxMessageBytes?: number } = {}): Promise<Harness> {
  const stored: CaptureInput[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const sink = createTapGrpcSink({
    logger: silentLogger,
    clock: () => new Date('2026-11-26T09:00:00Z'),
    ingest: async (captures) => {
      await options.ingest?.(captures);
      stored.push(...captures);
      for (const w of waiters.filter((w) => stored.length >= w.n)) w.resolve();
    },
  });
  const listening = await listenTapGrpcSink(sink, { host: '127.0.0.1', port: 0 }, { maxMessageBytes: options.maxMessageBytes ?? 4 * 1024 * 1024 });
  const client = new grpc.Client(listening.address, grpc.credentials.createInsecure());
  const h: Harness = {
    sink,
    listening,
    stored,
    client,
    storedCount: (n) => (stored.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
  open.push(h);
  return h;
}

interface Outcome {
  code: grpc.status;
  details: string;
}

/** Opens a ReportTap client stream as Gloo does; `outcome` settles with the call's final status. */
function reportTap(client: grpc.Client): { call: grpc.ClientWritableStream<Buffer>; outcome: Promise<Outcome> } {
  let settle!: (o: Outcome) => void;
  const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
  const call = client.makeClientStreamRequest<Buffer, Buffer>(
    '/envoy.service.tap.v3.TapService/ReportTap', // Gloo's method path, spelled out: the constant must not drift
    (b) => b,
    (b) => b,
    (err, response) => {
      if (err) settle({ code: err.code, details: err.details });
      else {
        expect(response?.length).toBe(0); // TapResponse {} encodes to nothing
        settle({ code: grpc.status.OK, details: 'OK' });
      }
    },
  );
  return { call, outcome };
}

const paths = (cs: CaptureInput[]): string[] => cs.map((c) => c.request.headers.find(([k]) => k === ':path')![1]);

describe('gRPC tap sink (TapService/ReportTap)', () => {
  it('stores every trace of a stream, in order, and answers OK when Gloo closes it', async () => {
    const h = await start();
    const { call, outcome } = reportTap(h.client);
    for (const p of ['/a', '/b', '/c']) call.write(pbTapRequest(proto, tapCapture(p)));
    // Stored as they arrive, not at the end of the stream: Gloo never ends it.
    await h.storedCount(3);
    expect(paths(h.stored)).toEqual(['/a', '/b', '/c']);
    call.end();
    expect(await outcome).toEqual({ code: grpc.status.OK, details: 'OK' });
    expect(h.stored[0]).toMatchObject({
      source: 'gloo',
      capturedAt: '2026-11-26T09:00:00.000Z',
      response: { headers: [[':status', '500']], body: { bytes: Buffer.from('failed at /a'), truncated: false } },
    });
  });

  it("dates a trace by its response's headers_received_time, and one without by the clock", async () => {
    const h = await start();
    const { call, outcome } = reportTap(h.client);
    const timed = tapCapture('/timed');
    timed.request.headersReceivedAt = '2026-11-20T10:00:00.100Z';
    timed.response.headersReceivedAt = '2026-11-20T10:00:00.350Z';
    call.write(pbTapRequest(proto, timed));
    call.write(pbTapRequest(proto, tapCapture('/untimed')));
    await h.storedCount(2);
    call.end();
    expect(await outcome).toEqual({ code: grpc.status.OK, details: 'OK' });
    expect(h.stored.map((c) => [c.capturedAt, c.durationMs])).toEqual([
      ['2026-11-20T10:00:00.350Z', 250],
      ['2026-11-26T09:00:00.000Z', null],
    ]);
  });

  it('answers OK to an empty stream and stores nothing', async () => {
    const h = await start();
    const { call, outcome } = reportTap(h.client);
    call.end();
    expect(await outcome).toEqual({ code: grpc.status.OK, details: 'OK' });
    expect(h.stored).toEqual([]);
    expect(h.sink.activeStreams()).toBe(0);
  });

  it.each([
    ['a streamed trace segment', Buffer.from([0x0a, 0x02, 0x12, 0x00]), /http_streamed_trace_segment \(field 2\) is not supported.*output_config\.streaming to false/],
    ['a TapRequest without trace_data', Buffer.alloc(0), /trace_data \(field 1\) is missing/],
    ['a length running past the end', Buffer.from([0x0a, 0x09, 0x0a, 0x01]), /TapRequest: length 9 runs past the end of the message/],
  ])('ends the stream with INVALID_ARGUMENT on %s, keeping the traces before it', async (_name, bad, why) => {
    const h = await start();
    const { call, outcome } = reportTap(h.client);
    call.write(pbTapRequest(proto, tapCapture('/first')));
    call.write(pbTapRequest(proto, tapCapture('/second')));
    call.write(bad);
    call.write(pbTapRequest(proto, tapCapture('/after')));
    const o = await outcome;
    expect(o.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(o.details).toMatch(/^TapRequest 3 of this stream: /);
    expect(o.details).toMatch(why);
    expect(paths(h.stored)).toEqual(['/first', '/second']);
  });

  it('ends the stream with RESOURCE_EXHAUSTED for a message over the size limit', async () => {
    const h = await start({ maxMessageBytes: 1024 });
    const { call, outcome } = reportTap(h.client);
    const big = tapCapture('/big');
    big.response.body = { bytes: Buffer.alloc(4096, 'x'), truncated: false };
    call.write(pbTapRequest(proto, big));
    expect((await outcome).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(h.stored).toEqual([]);
  });

  it('maps a store failure to UNAVAILABLE with the reason', async () => {
    const h = await start({
      ingest: () => Promise.reject(new LoopError('STORE_UNAVAILABLE', 'cannot reach PostgreSQL at db:5432')),
    });
    const { call, outcome } = reportTap(h.client);
    call.write(pbTapRequest(proto, tapCapture('/x')));
    expect(await outcome).toEqual({ code: grpc.status.UNAVAILABLE, details: 'TapRequest 1 of this stream was not stored: cannot reach PostgreSQL at db:5432' });
  });

  it('ends open streams with UNAVAILABLE when the server stops, keeping what was stored', async () => {
    const h = await start();
    const { call, outcome } = reportTap(h.client);
    call.write(pbTapRequest(proto, tapCapture('/a')));
    call.write(pbTapRequest(proto, tapCapture('/b')));
    await h.storedCount(2);
    expect(h.sink.activeStreams()).toBe(1);
    await h.listening.close();
    expect(await outcome).toEqual({ code: grpc.status.UNAVAILABLE, details: 'the loop server is shutting down' });
    expect(paths(h.stored)).toEqual(['/a', '/b']);
    expect(h.sink.activeStreams()).toBe(0);
  });

  it('on stop, finishes storing the trace in hand before ending its stream', async () => {
    let entered!: () => void;
    const ingestStarted = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = await start({
      ingest: async () => {
        entered();
        await gate;
      },
    });
    const { call, outcome } = reportTap(h.client);
    call.write(pbTapRequest(proto, tapCapture('/slow')));
    await ingestStarted;
    let closed = false;
    const closing = h.listening.close().then(() => (closed = true));
    // close() must wait for the store: after it resolves the loop server closes the store.
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(paths(h.stored)).toEqual(['/slow']);
    expect((await outcome).code).toBe(grpc.status.UNAVAILABLE);
  });
});
