// `loopctl import` as a user runs it: Envoy file_per_tap output in a directory (JSON, PROTO_BINARY,
// PROTO_BINARY_LENGTH_DELIMITED, and a PROTO_TEXT file we refuse), imported into a real `loop serve`,
// then listed with `loopctl list`. Binary files are encoded by protobufjs from proto/ in the test.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvoyTrace } from '../../src/capture/envoy-trace-json.js';
import { loadTapProto, pbLengthDelimited, pbTraceWrapper, tapCapture } from '../../src/loop/gloo/tap-proto-fixtures.test-helper.js';
import { loopctl, startLoopServe, type RunningLoop } from './harness.js';

let loop: RunningLoop;
let taps: string;

beforeAll(async () => {
  const proto = await loadTapProto();
  taps = await mkdtemp(path.join(tmpdir(), 'envoy-taps-'));
  // Envoy names them <path_prefix>_<trace_id>.<ext>; trace ids are not zero-padded.
  await writeFile(path.join(taps, 'tap_9.json'), JSON.stringify(encodeEnvoyTrace(tapCapture('/checkout', 500, [['authorization', 'Bearer s3cret']])), null, 2));
  await writeFile(path.join(taps, 'tap_10.pb'), pbTraceWrapper(proto, tapCapture('/pay', 503)));
  await writeFile(path.join(taps, 'tap_11.pb_length_delimited'), pbLengthDelimited(proto, [tapCapture('/cart', 502), tapCapture('/cart/items', 504)]));
  await writeFile(path.join(taps, 'tap_12.pb_text'), 'http_buffered_trace {\n}\n');
  loop = await startLoopServe();
});

afterAll(async () => {
  await loop?.stop();
  if (taps) await rm(taps, { recursive: true, force: true });
});

describe('loopctl import', () => {
  it('imports a file_per_tap directory, refusing only the .pb_text file, and exits 1 for it', async () => {
    const r = await loopctl(loop.url, ['import', taps]);
    expect(r.stdout).toBe('imported 4 traces from 3 files; 1 file failed\n');
    expect(r.stderr).toContain(`loopctl: ${path.join(taps, 'tap_12.pb_text')}: PROTO_TEXT tap files (.pb_text) are not supported`);
    expect(r.stderr).toContain('hint: set the tap sink\'s format to JSON_BODY_AS_BYTES, PROTO_BINARY or PROTO_BINARY_LENGTH_DELIMITED');
    expect(r.code).toBe(1);
  });

  it('shows the imported traces in loopctl list, in file order, with secrets redacted', async () => {
    const list = await loopctl(loop.url, ['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toBe(
      [
        '+----+-------------+------+--------+-------------+',
        '| ID |    PATH     | VERB | STATUS | DESTINATION |',
        '+----+-------------+------+--------+-------------+',
        '|  4 | /cart/items | GET  |    504 |             |',
        '|  3 | /cart       | GET  |    502 |             |',
        '|  2 | /pay        | GET  |    503 |             |',
        '|  1 | /checkout   | GET  |    500 |             |',
        '+----+-------------+------+--------+-------------+',
        '',
      ].join('\n'),
    );
    const first = JSON.parse((await loopctl(loop.url, ['get', '1', '-o', 'json'])).stdout) as { source: string; request: { headers: Array<[string, string]> } };
    expect(first.source).toBe('file:tap_9.json');
    expect(first.request.headers).toContainEqual(['authorization', '[REDACTED]']);
  });

  it('imports a wildcard the shell did not expand, and exits 0 when every file imports', async () => {
    const r = await loopctl(loop.url, ['import', path.join(taps, 'tap_1[01].*')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('imported 3 traces from 2 files\n');
    expect(r.code).toBe(0);
  });
});
