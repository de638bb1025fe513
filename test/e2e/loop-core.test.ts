// The "done when", as a user runs it: start the loop server, post an Envoy trace with an HTTP
// client, see it in `loopctl list`, replay it against a local service and read the diff.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT, loopctl, startLoopServe, startService, type RunningLoop } from './harness.js';

let loop: RunningLoop;
let service: Awaited<ReturnType<typeof startService>>;
let healthy = false;

beforeAll(async () => {
  service = await startService(() =>
    healthy ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{"paid":true}' } : { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"payment timed out"}' },
  );
  loop = await startLoopServe(['--alias', `web.default:9090=127.0.0.1:${service.port}`]);
});

afterAll(async () => {
  await loop?.stop();
  await service?.close();
});

const trace = (): Promise<string> => readFile(path.join(ROOT, 'examples/envoy/trace-500.json'), 'utf8');

describe('loop server and loopctl, end to end', () => {
  it('stores an Envoy trace posted over HTTP and lists it in the tutorial\'s table', async () => {
    const res = await fetch(`${loop.url}/v1/taps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: await trace() });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ stored: 1, ids: [1] });

    const list = await loopctl(loop.url, ['list']);
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(list.stdout).toBe(
      [
        '+----+------+------+--------+-------------+',
        '| ID | PATH | VERB | STATUS | DESTINATION |',
        '+----+------+------+--------+-------------+',
        '|  1 | /    | GET  |    500 |             |',
        '+----+------+------+--------+-------------+',
        '',
      ].join('\n'),
    );
  });

  it('redacts the authorization header before storing', async () => {
    const got = await loopctl(loop.url, ['get', '1', '-o', 'json']);
    const capture = JSON.parse(got.stdout) as { request: { headers: Array<[string, string]> } };
    expect(capture.request.headers).toContainEqual(['authorization', '[REDACTED]']);
    expect(got.stdout).not.toContain('secret-token');
  });

  it('shows a capture readably with its JSON body pretty-printed', async () => {
    const got = await loopctl(loop.url, ['get', '1']);
    expect(got.code).toBe(0);
    expect(got.stdout).toContain('Capture 1: GET / → 500');
    expect(got.stdout).toContain('{\n    "error": "payment timed out"\n  }');
  });

  it('replays to a destination alias and prints the status, time and diff', async () => {
    let r = await loopctl(loop.url, ['replay', '--id', '1', '--destination', 'web.default:9090']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^replayed capture 1 to web.default:9090 \\(127.0.0.1:${service.port}\\): 500 in \\d+ ms`));
    expect(r.stdout).toContain('same as the original response');
    expect(r.stdout).toContain('note: header authorization was redacted at capture and is not sent');
    expect(service.requests.at(-1)).toMatchObject({ method: 'GET', url: '/', headers: { host: 'web.default:9090', 'x-loop-replay-of': '1' } });
    expect(service.requests.at(-1)!.headers.authorization).toBeUndefined();

    healthy = true;
    r = await loopctl(loop.url, ['replay', '--id', '1', '--destination', 'web.default:9090']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(': 200 in ');
    expect(r.stdout).toContain('status: 500 → 200');
    expect(r.stdout).toContain('- $.error: "payment timed out"');
    expect(r.stdout).toContain('+ $.paid: true');

    const history = await loopctl(loop.url, ['get', 'replays', '1', '-o', 'json']);
    expect((JSON.parse(history.stdout) as unknown[]).length).toBe(2);
  });

  it('reports a replay to a closed port as a failure with exit code 1', async () => {
    const r = await loopctl(loop.url, ['replay', '--id', '1', '--destination', '127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('replay failed');
    expect(r.stdout).toContain('connection refused by 127.0.0.1:1');
  });

  it('applies the tutorial\'s TapConfig and lists it; a bad one is rejected and changes nothing', async () => {
    const ok = await loopctl(loop.url, ['apply', '-f', path.join(ROOT, 'examples/tutorial/gloo-loop/tap.yaml')]);
    expect(ok).toMatchObject({ code: 0, stdout: 'tapconfig.loop.solo.io/gloo-system/gloo created\n' });

    const bad = await loopctl(loop.url, ['apply', '-f', '-'], {
      stdin: 'apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: other}\nspec: {match: "true"}\n---\napiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: broken}\nspec:\n  match: responseHeaders[":status"] == prefix("5"\n',
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^loopctl: .*document 2.*broken.*spec\.match/s);

    const list = await loopctl(loop.url, ['get', 'tapconfigs', '-o', 'json']);
    const names = (JSON.parse(list.stdout) as { items: Array<{ metadata: { name: string } }> }).items.map((c) => c.metadata.name);
    expect(names).toEqual(['gloo']);

    // The same as YAML (loopctl loads the yaml package only for this).
    const asYaml = await loopctl(loop.url, ['get', 'tapconfigs', '-o', 'yaml']);
    expect(asYaml.code).toBe(0);
    expect(parseYaml(asYaml.stdout)).toEqual((JSON.parse(list.stdout) as { items: unknown[] }).items[0]);
  });

  it('prints a capture as YAML with the same content as its JSON', async () => {
    const [json, yaml] = await Promise.all([loopctl(loop.url, ['get', '1', '-o', 'json']), loopctl(loop.url, ['get', '1', '-o', 'yaml'])]);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain('source: envoy');
    expect(parseYaml(yaml.stdout)).toEqual(JSON.parse(json.stdout));
  });

  it('exports a capture as HAR and as a curl command', async () => {
    const har = JSON.parse((await loopctl(loop.url, ['export', '1', '--format', 'har'])).stdout) as { log: { version: string; entries: Array<{ response: { status: number } }> } };
    expect(har.log.version).toBe('1.2');
    expect(har.log.entries[0]!.response.status).toBe(500);
    const curl = await loopctl(loop.url, ['export', '1', '--format', 'curl']);
    expect(curl.stdout).toMatch(/^curl .*'http:\/\/localhost:8081\/'/m);
  });

  it('answers bad input with one readable line and a usage exit code', async () => {
    const res = await fetch(`${loop.url}/v1/taps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"http_buffered_trace": {"request": {"headers": [{"key": 1}]}}}' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INGEST_INVALID');
    expect(body.error.message).toContain('headers[0].key');

    const r = await loopctl(loop.url, ['list', '--status', 'teapot']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('loopctl: status "teapot" is not a status: expected a class such as 5xx or a code such as 503\n');

    const missing = await loopctl(loop.url, ['get', '999']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('capture 999 does not exist');
  });

  it('says when the server cannot be reached (exit 4)', async () => {
    const r = await loopctl('http://127.0.0.1:1', ['list']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('cannot reach the loop server at http://127.0.0.1:1');
    expect(r.stderr).toContain('hint:');
  });
});
