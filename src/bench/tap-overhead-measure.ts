// Measures what the tap costs the traffic it watches, in-process, no sockets (not a test: prints numbers,
// asserts nothing). Run: npm run build && node dist/bench/tap-overhead-measure.js
//  - begin() answering undefined (the tap on, no TapConfig matching at request headers);
//  - a full recorded exchange with 1 KiB request and response bodies, not matched at the end;
//  - a full matched exchange (redaction, handed to a sink that discards);
//  - the same, encoded into a record as the shipper does.
import { CaptureRecordWriter } from '../capture/capture-binary.js';
import type { TapConfig } from '../tapconfig/tapconfig.js';
import { createTap } from '../loop/tap/tap.js';
import type { CaptureSink } from '../loop/tap/tap-shipper.js';
import type { TapRequestInfo } from '../loop/tap/tap-types.js';
import { staticTapConfigs } from '../loop/tap/tapconfig-follower.js';

const tc = (name: string, match: string): TapConfig => ({ apiVersion: 'loop.solo.io/v1', kind: 'TapConfig', metadata: { namespace: 'default', name }, spec: { match } });
const sink: CaptureSink = { enqueue() {}, flush: () => Promise.resolve(true), close: () => Promise.resolve() };
const info: TapRequestInfo = {
  method: 'POST',
  path: '/api/pay?id=7',
  authority: 'shop:8081',
  scheme: 'http',
  headers: [['host', 'shop:8081'], ['user-agent', 'curl/8.5'], ['accept', '*/*'], ['content-type', 'application/json'], ['content-length', '1024'], ['authorization', 'Bearer x']],
  destination: 'payment:9091',
};
const kib = Buffer.alloc(1024, 0x61);

function measure(label: string, n: number, fn: () => void): void {
  for (let i = 0; i < n / 10; i++) fn(); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  const ns = Number(process.hrtime.bigint() - start) / n;
  process.stdout.write(`${label.padEnd(70)} ${(ns / 1000).toFixed(3)} µs/exchange\n`);
}

const skip = createTap({ source: 'm', configs: staticTapConfigs([tc('api', 'requestHeaders[":path"] == prefix("/admin")'), tc('dbg', 'requestHeaders["x-debug"] == present()')]), shipper: sink });
const none = createTap({ source: 'm', configs: staticTapConfigs([]), shipper: sink });
measure('begin → undefined, no TapConfigs', 2_000_000, () => void none.begin(info));
measure('begin → undefined, 2 request-side TapConfigs not matching', 2_000_000, () => void skip.begin(info));

const run = (tap: ReturnType<typeof createTap>, status: number) => () => {
  const x = tap.begin(info)!;
  x.requestData(kib);
  x.requestEnd();
  x.response(status, ['content-type', 'application/json', 'content-length', '1024']);
  x.responseData(kib);
  x.end();
};
const tutorial = createTap({ source: 'm', configs: staticTapConfigs([tc('errors', 'responseHeaders[":status"] == prefix("5")')]), shipper: sink });
measure('recorded exchange, 1 KiB bodies, tutorial config, 200 (not matched)', 300_000, run(tutorial, 200));
measure('recorded exchange, 1 KiB bodies, tutorial config, 500 (matched, redacted)', 300_000, run(tutorial, 500));

/** Encodes like the shipper, releasing each record at once (no queue, no I/O). */
const writer = new CaptureRecordWriter();
const encoding: CaptureSink = { enqueue: (c) => writer.release(writer.write(c)), flush: () => Promise.resolve(true), close: () => Promise.resolve() };
const encoded = createTap({ source: 'm', configs: staticTapConfigs([tc('errors', 'responseHeaders[":status"] == prefix("5")')]), shipper: encoding });
measure('recorded exchange, 1 KiB bodies, tutorial config, 500 (matched, redacted, encoded)', 300_000, run(encoded, 500));
