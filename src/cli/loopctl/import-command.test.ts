// `loopctl import` in-process against a real loop server (real HTTP on loopback, real SQLite): each
// file imports wholly or not at all, failures are named and do not stop the others, the summary and
// the exit code say what happened.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvoyTrace } from '../../capture/envoy-trace-json.js';
import { isLoopError } from '../../core/errors.js';
import { listen } from '../../core/listen.js';
import { loadTapProto, pbLengthDelimited, pbTraceWrapper, tapCapture, type TapProto } from '../../loop/gloo/tap-proto-fixtures.test-helper.js';
import { loopServerPerTest } from '../../loop/tap/loop-server-fixture.test-helper.js';
import { freePort } from '../../core/ports.test-helper.js';
import { CommandExit } from '../cli-support.js';
import { collectIo } from './cli-io.test-helper.js';
import { registerImportCommand } from './import-command.js';

let proto: TapProto;
let dir: string;
const loop = loopServerPerTest('loopctl-import-server-');

beforeAll(async () => {
  proto = await loadTapProto();
  dir = await mkdtemp(path.join(tmpdir(), 'loopctl-import-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  stdout: string;
  stderr: string;
  error?: unknown;
}

async function loopctlImport(args: string[], options: { tty?: boolean; server?: string } = {}): Promise<Run> {
  const { stdout, stderr, stdin, written } = collectIo({ stderrIsTTY: options.tty ?? false });
  const program = new Command('loopctl').option('-s, --server <url>').exitOverride();
  registerImportCommand(program, { stdout, stderr, stdin, isTTY: false });
  let error: unknown;
  try {
    await program.parseAsync(['--server', options.server ?? loop().url, 'import', ...args], { from: 'user' });
  } catch (e) {
    error = e;
  }
  return { ...written(), ...(error === undefined ? {} : { error }) };
}

async function write(name: string, bytes: Buffer | string): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return file;
}

async function storedPaths(): Promise<string[]> {
  const { items } = await loop().store.list({ limit: 100 });
  return items.map((c) => c.path).reverse();
}

async function applyTapConfig(name: string, redactHeaders: string[]): Promise<void> {
  const doc = `apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {namespace: default, name: ${name}}\nspec:\n  match: 'true'\n  redact: {headers: ${JSON.stringify(redactHeaders)}}\n`;
  const res = await fetch(`${loop().url}/v1/tapconfigs`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: doc });
  expect(res.status, await res.text()).toBeLessThan(300);
}

const prettyJson = (p: string, status = 500): string => JSON.stringify(encodeEnvoyTrace(tapCapture(p, status)), null, 2);

describe('loopctl import', () => {
  it('imports .json, .pb and .pb_length_delimited files of a directory and sums them up', async () => {
    const taps = `ok-${Date.now()}`;
    await write(`${taps}/tap_1.json`, prettyJson('/json'));
    await write(`${taps}/tap_2.pb`, pbTraceWrapper(proto, tapCapture('/pb', 503)));
    await write(`${taps}/tap_3.pb_length_delimited`, pbLengthDelimited(proto, [tapCapture('/ld1'), tapCapture('/ld2'), tapCapture('/ld3')]));
    await write(`${taps}/README.md`, '# not a tap');
    const run = await loopctlImport([path.join(dir, taps)]);
    expect(run.error).toBeUndefined();
    expect(run.stdout).toBe('imported 5 traces from 3 files; skipped 1 file that is not tap output\n');
    expect(run.stderr).toBe('');
    expect(await storedPaths()).toEqual(['/json', '/pb', '/ld1', '/ld2', '/ld3']);
    const first = await loop().store.get(1);
    expect(first).toMatchObject({ source: 'file:tap_1.json' });
  });

  it('imports the good files, stores nothing of a bad one, names it and exits non-zero', async () => {
    const taps = `mixed-${Date.now()}`;
    const good = await write(`${taps}/tap_1.json`, prettyJson('/good'));
    // The second trace is a streamed segment: the whole file must be refused, its first trace included.
    const bad = await write(
      `${taps}/tap_2.pb_length_delimited`,
      Buffer.concat([pbLengthDelimited(proto, [tapCapture('/bad-first')]), Buffer.from([0x02, 0x12, 0x00])]),
    );
    const badJson = await write(`${taps}/tap_3.json`, prettyJson('/bad-json').replace('"value": "500"', '"value": 500'));
    const text = await write(`${taps}/tap_4.pb_text`, 'http_buffered_trace {}');
    const good2 = await write(`${taps}/tap_5.pb`, pbTraceWrapper(proto, tapCapture('/good2')));
    const run = await loopctlImport([good, bad, badJson, text, good2, path.join(dir, taps, 'missing.json')]);
    expect(run.error).toBeInstanceOf(CommandExit);
    expect((run.error as CommandExit).exitCode).toBe(1);
    expect(run.stdout).toBe('imported 2 traces from 2 files; 4 files failed\n');
    const lines = run.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('  hint:'));
    expect(lines).toEqual([
      `loopctl: ${path.join(dir, taps, 'missing.json')}: no such file or directory`,
      `loopctl: ${bad}: trace 2 of 2: TraceWrapper: http_streamed_trace_segment (field 2) is not supported; only buffered HTTP traces can be captured — set the tap's output_config.streaming to false (at byte offset 1)`,
      `loopctl: ${badJson}: http_buffered_trace.response.headers[0].value: expected a string, got number`,
      `loopctl: ${text}: PROTO_TEXT tap files (.pb_text) are not supported`,
    ]);
    expect(await storedPaths()).toEqual(['/good', '/good2']);
  });

  it('prints a JSON report with -o json', async () => {
    const file = await write(`json-out-${Date.now()}/tap_9.pb_length_delimited`, pbLengthDelimited(proto, [tapCapture('/a'), tapCapture('/b')]));
    const run = await loopctlImport(['-o', 'json', file]);
    expect(JSON.parse(run.stdout)).toEqual({ files: 1, imported: 1, failed: 0, traces: 2, skipped: [], results: [{ file, traces: 2, ids: [1, 2] }] });
  });

  // A trace keeps the traffic's own date: last month's taps were imported, then deleted by the next
  // retention pass (7 days by default) within a minute, without a word.
  it('says which imported traces the server\'s retention will delete at once', async () => {
    const dated = (p: string, daysAgo: number): string => {
      const c = tapCapture(p);
      c.response.headersReceivedAt = new Date(Date.now() - daysAgo * 86_400_000).toISOString();
      return JSON.stringify(encodeEnvoyTrace(c));
    };
    const sub = `retention-${Date.now()}`;
    const old = await write(`${sub}/tap_1.json`, dated('/old', 30));
    const fresh = await write(`${sub}/tap_2.json`, dated('/fresh', 1));
    const run = await loopctlImport([old, fresh]);
    expect(run.error).toBeUndefined();
    expect(run.stdout).toBe('imported 2 traces from 2 files\n');
    expect(run.stderr).toBe(
      "loopctl: 1 imported trace is dated before the server's retention of 7d (the traffic's own time); its next retention pass deletes it\n" +
        '  hint: to keep it, restart loop serve with a longer --retention-max-age (0 keeps captures forever) and import again\n',
    );
    const json = JSON.parse((await loopctlImport(['-o', 'json', old, fresh])).stdout) as { results: unknown[] };
    expect(json.results).toEqual([
      { file: old, traces: 1, ids: [3], olderThanRetention: 1 },
      { file: fresh, traces: 1, ids: [4] },
    ]);
    expect(await loopctlImport([fresh])).toMatchObject({ stderr: '' });
  });

  it('shows progress on a terminal and clears it before the summary', async () => {
    const taps = `progress-${Date.now()}`;
    for (let i = 1; i <= 3; i++) await write(`${taps}/tap_${i}.json`, prettyJson(`/p${i}`));
    const run = await loopctlImport([path.join(dir, taps, 'tap_*.json')], { tty: true });
    expect(run.stderr).toContain('\r\x1b[Kimporting 1/3 tap_1.json');
    expect(run.stderr).toContain('importing 3/3 tap_3.json');
    expect(run.stderr.endsWith('\r\x1b[K')).toBe(true);
    expect(run.stdout).toBe('imported 3 traces from 3 files\n');
  });

  it('labels the captures with --tap-config and applies that TapConfig\'s redaction; NAME alone is in namespace default', async () => {
    await applyTapConfig('gloo-loop', ['x-team-secret']);
    const file = await write(`labelled-${Date.now()}/tap_1.json`, JSON.stringify(encodeEnvoyTrace(tapCapture('/l', 500, [['x-team-secret', 's3cret']]))));
    const run = await loopctlImport(['--tap-config', 'gloo-loop', file]);
    expect(run.error).toBeUndefined();
    const stored = await loop().store.get(1);
    expect(stored).toMatchObject({ tapConfig: 'default/gloo-loop' });
    expect(stored?.request.headers).toContainEqual(['x-team-secret', '[REDACTED]']);
  });

  it('refuses a --tap-config the server does not have, naming the near one, before sending any file', async () => {
    await applyTapConfig('gloo-loop', []);
    const file = await write(`misspelt-${Date.now()}/tap_1.json`, prettyJson('/m'));
    const run = await loopctlImport(['--tap-config', 'default/glooloop', file]);
    expect(isLoopError(run.error, 'NOT_FOUND')).toBe(true);
    expect((run.error as Error).message).toBe('--tap-config: the loop server has no TapConfig default/glooloop (did you mean "default/gloo-loop"?); nothing was imported');
    expect(await storedPaths()).toEqual([]);

    const shape = await loopctlImport(['--tap-config', 'a/b/c', file]);
    expect(isLoopError(shape.error, 'BAD_REQUEST')).toBe(true);
    expect((shape.error as Error).message).toBe('--tap-config: expected a TapConfig as NAMESPACE/NAME (or NAME in namespace default), got "a/b/c"');
  });

  // The server refuses a file over --max-ingest-bytes with a 413 and closes the connection unread; loopctl,
  // still sending, saw EPIPE, said 'cannot reach the loop server … start it' and stopped importing.
  it('names a file the server cut off while it was sent, and goes on with the next one', async () => {
    const cutting = await listen(
      http.createServer((req, res) => {
        if (Number(req.headers['content-length']) > 1024 * 1024) return void req.once('data', () => req.socket.destroy());
        req.resume();
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"stored":1,"ids":[1]}'));
      }),
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const taps = `cut-${Date.now()}`;
      const big = await write(`${taps}/tap_1.json`, JSON.stringify(encodeEnvoyTrace({ ...tapCapture('/big'), request: { ...tapCapture('/big').request, body: { bytes: Buffer.alloc(4 * 1024 * 1024, 'x'), truncated: false } } })));
      const small = await write(`${taps}/tap_2.json`, prettyJson('/small'));
      const run = await loopctlImport([big, small], { server: cutting.url });
      expect((run.error as CommandExit).exitCode).toBe(1);
      expect(run.stdout).toBe('imported 1 trace from 1 file; 1 file failed\n');
      expect(run.stderr).toMatch(new RegExp(`^loopctl: ${big}: the loop server at ${cutting.url} closed the connection while loopctl was sending \\d+ bytes \\(POST /v1/taps\\)`));
      expect(run.stderr).toContain('--max-ingest-bytes');
    } finally {
      await cutting.close();
    }
  });

  it('stops with SERVER_UNREACHABLE when there is no server', async () => {
    const file = await write(`unreachable-${Date.now()}/tap_1.json`, prettyJson('/x'));
    const run = await loopctlImport([file], { server: `http://127.0.0.1:${await freePort()}` });
    expect(isLoopError(run.error, 'SERVER_UNREACHABLE')).toBe(true);
    expect(run.stdout).toBe('');
  });
});
