// loopctl's commands in-process (the real program of main.ts) against a real loop server on loopback with
// a real SQLite store: what reaches the operator's terminal, and what the command line refuses.
import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loopServerPerTest } from '../../loop/tap/loop-server-fixture.test-helper.js';
import { outcomeOf } from '../cli-support.js';
import { collectIo } from './cli-io.test-helper.js';
import { createLoopctlProgram } from './program.js';

const loop = loopServerPerTest('loopctl-commands-');

interface Run {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs loopctl as main.ts does (exit code and stderr from outcomeOf), on a terminal when `tty`. */
async function loopctl(args: string[], options: { tty?: boolean } = {}): Promise<Run> {
  const { stdout, stderr, stdin, written } = collectIo();
  const program = createLoopctlProgram({ stdout, stderr, stdin, isTTY: options.tty ?? false });
  program.configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s), outputError: (s, write) => write(s) });
  let exitCode = 0;
  let reported = '';
  try {
    await program.parseAsync(['--server', loop().url, ...args], { from: 'user' });
  } catch (e) {
    const outcome = outcomeOf('loopctl', e);
    exitCode = outcome.exitCode;
    reported = outcome.stderr;
  }
  const { stdout: out, stderr: err } = written();
  return { stdout: out, stderr: err + reported, exitCode };
}

async function ingest(trace: unknown): Promise<Response> {
  return fetch(`${loop().url}/v1/taps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(trace) });
}

// CSI (red), OSC (window title) ended by BEL, a C1 CSI (clear screen), DEL, a carriage return.
const EVIL = '\x1b[31mred\x1b]0;pwned\x07 \u009b2J\x7f\rover';
const evilTrace = {
  http_buffered_trace: {
    request: {
      headers: [
        { key: ':method', value: 'POST' },
        { key: ':path', value: `/pay/\x1b[2J${'\u009b'}H` },
        { key: ':authority', value: 'web.default:9090' },
        { key: 'x-evil', value: EVIL },
        { key: 'content-type', value: 'text/plain' },
      ],
      body: { as_string: `line one\n\tline two ${EVIL}`, truncated: false },
    },
    response: {
      headers: [
        { key: ':status', value: '500' },
        { key: 'content-type', value: 'application/json' },
      ],
      body: { as_string: JSON.stringify({ error: EVIL }), truncated: false },
    },
  },
};

/** Terminal control characters other than newline (and tab, where allowed). */
const RAW_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/; // eslint-disable-line no-control-regex
const RAW_CONTROLS_OR_TAB = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/; // eslint-disable-line no-control-regex

describe('loopctl output never carries control characters from captured traffic', () => {
  beforeEach(async () => {
    expect((await ingest(evilTrace)).status).toBe(200);
  });

  it('get ID shows them as visible escapes, keeping the body\'s newlines and tabs', async () => {
    const run = await loopctl(['get', '1']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).not.toMatch(RAW_CONTROLS);
    expect(run.stdout).toContain('Capture 1: POST /pay/\\x1b[2J\\u009bH → 500');
    expect(run.stdout).toContain('  x-evil: \\x1b[31mred\\x1b]0;pwned\\x07 \\u009b2J\\x7f\\x0dover');
    expect(run.stdout).toContain('  line one\n  \tline two \\x1b[31mred');
    // The JSON response body is pretty-printed: JSON.stringify escapes C0 itself, not DEL or C1.
    expect(run.stdout).toContain('"error": "\\u001b[31mred\\u001b]0;pwned\\u0007 \\u009b2J\\x7f\\rover"');
  });

  it('get ID on a terminal: the only escape sequences are loopctl\'s own styling', async () => {
    const run = await loopctl(['get', '1'], { tty: true });
    const withoutStyling = run.stdout.replace(/\x1b\[(?:1|2|22|31|32|39)m/g, ''); // eslint-disable-line no-control-regex
    expect(withoutStyling).not.toMatch(RAW_CONTROLS);
  });

  it('list and list -o wide put them on one line, escaped', async () => {
    for (const output of ['table', 'wide']) {
      const run = await loopctl(['list', '-o', output]);
      expect(run.stdout).not.toMatch(RAW_CONTROLS_OR_TAB);
      expect(run.stdout).toContain('| /pay/\\x1b[2J\\u009bH | POST |    500 |');
    }
  });

  it('-o json and -o yaml are escaped documents holding the captured values unchanged', async () => {
    const json = await loopctl(['get', '1', '-o', 'json']);
    expect(json.stdout).not.toMatch(RAW_CONTROLS);
    const fromJson = JSON.parse(json.stdout) as { request: { headers: string[][] } };
    expect(fromJson.request.headers).toContainEqual(['x-evil', EVIL]);

    const yaml = await loopctl(['get', '1', '-o', 'yaml']);
    expect(yaml.stdout).not.toMatch(RAW_CONTROLS);
    expect(parseYaml(yaml.stdout)).toEqual(fromJson);

    const list = await loopctl(['list', '-o', 'json']);
    expect(list.stdout).not.toMatch(RAW_CONTROLS);
    expect((JSON.parse(list.stdout) as { items: Array<{ path: string }> }).items[0]!.path).toBe(`/pay/\x1b[2J${'\u009b'}H`);
  });

  it('export --format har|envoy|curl', async () => {
    for (const format of ['har', 'envoy', 'curl']) {
      const run = await loopctl(['export', '1', '--format', format]);
      expect(run.exitCode).toBe(0);
      expect(run.stdout, format).not.toMatch(RAW_CONTROLS_OR_TAB);
    }
  });
});

describe('loopctl refuses arguments it has no use for, naming them (exit 2)', () => {
  const trace = (p: string): unknown => ({
    http_buffered_trace: { request: { headers: [{ key: ':method', value: 'GET' }, { key: ':path', value: p }] }, response: { headers: [{ key: ':status', value: '500' }] } },
  });
  beforeEach(async () => {
    for (const p of ['/one', '/two']) expect((await ingest(trace(p))).status).toBe(200);
  });

  it.each([
    [['delete', '1', '2'], '"2"', 'delete 1 deletes one capture'],
    [['delete', '2', 'foo'], '"foo"', 'delete 2 deletes one capture'],
    [['delete', 'capture', '1', '2'], '"2"', 'it takes <what> [name]'],
    [['get', '1', '2'], '"2"', 'get 1 shows one capture'],
    [['get', '1', '2', '3'], '"3"', 'it takes <what> [name]'],
    [['list', 'x'], '"x"', '`loopctl list`: it takes no arguments'],
    [['export', '1', 'extra'], '"extra"', 'it takes <id>'],
    [['replay', 'x', '--id', '1', '--destination', 'web:80'], '"x"', '`loopctl replay`: it takes no arguments'],
    [['help', 'match', 'foo'], '"foo"', 'it takes one topic'],
  ])('%j', async (args, named, why) => {
    const run = await loopctl(args);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`unexpected argument ${named}`);
    expect(run.stderr).toContain(why);
    // Nothing was done: both captures are still there.
    expect((await loop().store.list({ limit: 10 })).items).toHaveLength(2);
  });

  it('still deletes one capture, by id or as `delete capture ID`', async () => {
    expect(await loopctl(['delete', '1'])).toMatchObject({ exitCode: 0, stdout: 'capture 1 deleted\n' });
    expect(await loopctl(['delete', 'capture', '2'])).toMatchObject({ exitCode: 0, stdout: 'capture 2 deleted\n' });
    expect((await loop().store.list({ limit: 10 })).items).toHaveLength(0);
  });
});

describe('replay -H', () => {
  it.each([
    [':path: /admin', `loopctl: --header ":path: /admin": pseudo-headers (:method, :path, :authority, :scheme) cannot be set; the captured method and path are sent, and -H 'Host: …' sets the authority\n`],
    ['x-no-colon', 'loopctl: --header "x-no-colon" is not name:value\n'],
  ])('refuses %j before asking the server, saying why (exit 2)', async (header, stderr) => {
    const run = await loopctl(['replay', '--id', '1', '--destination', '127.0.0.1:9', '-H', header]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(stderr);
  });
});

describe('a replay that fails', () => {
  // The failure line came alone: the server's hint (start the service; give a service held at a breakpoint
  // longer with --timeout) never reached the terminal.
  it('prints the hint that says what to do, after the failure', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const stored = (await (await ingest({ http_buffered_trace: { request: { headers: [{ key: ':method', value: 'GET' }, { key: ':path', value: '/' }, { key: ':authority', value: 'web' }] } } })).json()) as { ids: number[] };
      const run = await loopctl(['replay', '--id', String(stored.ids[0]), '--destination', `127.0.0.1:${port}`, '--timeout', '200ms']);
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toBe(`replay failed: capture ${stored.ids[0]} to 127.0.0.1:${port}: 127.0.0.1:${port} did not answer within 200 ms\n`);
      expect(run.stderr).toContain('  hint: a service stopped in a debugger answers only once resumed: give the replay longer (loopctl replay --timeout 10m');
    } finally {
      silent.close();
    }
  });
});

describe('options that do not apply are refused, not ignored', () => {
  it.each([
    [['get', '1', '-o', 'table'], 'loopctl: -o table is not a format of get CAPTURE-ID; it prints text, json, yaml\n'],
    [['get', 'tapconfigs', '-o', 'text'], 'loopctl: -o text is not a format of get tapconfigs; it prints table, json, yaml\n'],
    [['get', 'replays', '1', '-o', 'yaml'], 'loopctl: -o yaml is not a format of get replays; it prints text, json\n'],
    [['export', '1', '--format', 'har', '--destination', 'web:9090'], 'loopctl: --destination applies to --format curl only; --format har exports the capture as it was\n'],
  ])('%j', async (args, stderr) => {
    const run = await loopctl(args);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(stderr);
    expect(run.stdout).toBe('');
  });
});

describe('list', () => {
  // The hint used to be `loopctl list --cursor X`: run as told, it listed every capture below X, 404s and
  // other paths included, 50 to a page.
  it('hints at the next page with the filters and page size it was read with', async () => {
    const trace = (path: string, status: string) => ({
      http_buffered_trace: { request: { headers: [{ key: ':method', value: 'GET' }, { key: ':path', value: path }] }, response: { headers: [{ key: ':status', value: status }] } },
    });
    for (const [p, status] of [['/api/a', '500'], ['/api/b', '404'], ['/other', '502'], ['/api/c d', '503'], ['/api/c d2', '500']]) expect((await ingest(trace(p!, status!))).status).toBe(200);
    const first = await loopctl(['list', '--status', '5xx', '--path', '/api', '--limit', '2', '-o', 'wide']);
    expect(first.stdout).toMatch(/\/api\/c d2[\s\S]*\/api\/c d /);
    const hint = /^more captures: loopctl (list --status 5xx --path \/api --limit 2 -o wide --cursor (\S+)) \(or --all\)\n$/.exec(first.stderr);
    expect(hint, first.stderr).not.toBeNull();
    const next = await loopctl(hint![1]!.split(' '));
    expect(next.stdout).toContain('/api/a');
    expect(next.stdout).not.toMatch(/\/api\/b|\/other|\/api\/c/);
    expect(next.stderr).toBe('');
    // Values a shell would split are quoted, as the curl export quotes them.
    expect((await loopctl(['list', '--path', '/api/c d', '--limit', '1'])).stderr).toMatch(/^more captures: loopctl list --path '\/api\/c d' --limit 1 --cursor \S+ \(or --all\)\n$/);
  });

  // `list --tap-config web` listed nothing while get tapconfigs web, delete tapconfig web and import
  // --tap-config web all mean default/web.
  it('takes --tap-config NAME as default/NAME, as the other commands do', async () => {
    const trace = { http_buffered_trace: { request: { headers: [{ key: ':method', value: 'GET' }, { key: ':path', value: '/web' }] }, response: { headers: [{ key: ':status', value: '500' }] } } };
    for (const tapConfig of ['default/web', 'team/web']) {
      const res = await fetch(`${loop().url}/v1/taps?tapConfig=${tapConfig}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(trace) });
      expect(res.status).toBe(200);
    }
    const list = async (ref: string): Promise<string[]> => ((JSON.parse((await loopctl(['list', '--tap-config', ref, '-o', 'json'])).stdout) as { items: Array<{ tapConfig: string }> }).items.map((c) => c.tapConfig));
    expect(await list('web')).toEqual(['default/web']);
    expect(await list('default/web')).toEqual(['default/web']);
    expect(await list('team/web')).toEqual(['team/web']);
    const bad = await loopctl(['list', '--tap-config', 'a/b/c']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('expected a TapConfig as NAMESPACE/NAME (or NAME in namespace default), got "a/b/c"');
  });

  it('says how to write a time range the wrong way round, in loopctl\'s own flags', async () => {
    const run = await loopctl(['list', '--since', '1h', '--until', '2h']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('  hint: durations count back from now: since 2h until 1h (loopctl list --since 2h --until 1h, ?since=2h&until=1h) is the hour before the last one\n');
  });

  it('hints at the slash when a --path prefix without one finds nothing', async () => {
    const run = await loopctl(['list', '--path', 'api']);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe('no captures; --path is a prefix of the request path, which starts with /: try --path /api\n');
    expect((await loopctl(['list', '--path', '/api'])).stderr).toBe('');
  });
});

describe('apply -f', () => {
  it('names the file in a TapConfig\'s problems (the server calls the body by it), and applies nothing', async () => {
    const file = path.join(tmpdir(), `loopctl-apply-${process.pid}.yaml`);
    await writeFile(file, 'apiVersion: loop.solo.io/v1\nkind: TapConfig\nmetadata: {name: t}\nspec:\n  match: responseHeaders[":status"] == prefx("5")\n');
    try {
      const run = await loopctl(['apply', '-f', file]);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toContain(`loopctl: ${file} document 1 (default/t): spec.match: 1:31: unknown matcher "prefx"`);
      // The expression's line and a caret under the column, as DESIGN.md asks of a syntax error.
      expect(run.stderr).toContain('(did you mean "prefix"?)\n  1 | responseHeaders[":status"] == prefx("5")\n    |                               ^\n  hint: ');
      expect(run.stderr).toContain('hint: Nothing was applied');
      expect((await loopctl(['get', 'tapconfigs', '-o', 'json'])).stdout).toContain('"items": []');
    } finally {
      await rm(file, { force: true });
    }
  });
});

describe('input files that cannot be read are named, with why in words (exit 2)', () => {
  it.each([
    [['apply', '-f', 'missing-tapconfig.yaml'], 'loopctl: cannot read -f missing-tapconfig.yaml: no such file or directory\n  hint: looked for '],
    [['envoy-config', '-f', 'missing-tapconfig.yaml'], 'loopctl: cannot read -f missing-tapconfig.yaml: no such file or directory\n  hint: looked for '],
    [['--ca-file', '/nonexistent/ca.pem', 'list'], 'loopctl: cannot read --ca-file /nonexistent/ca.pem: no such file or directory\n  hint: check the path'],
    [['apply', '-f', '/'], 'loopctl: cannot read -f /: it is a directory, not a file\n'],
  ])('%j', async (args, stderr) => {
    const run = await loopctl(args);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.startsWith(stderr)).toBe(true);
    expect(run.stderr).not.toMatch(/\b(ENOENT|EISDIR)\b/);
  });
});

describe('--server', () => {
  it('refuses a scheme other than http and https, naming it (exit 2), instead of looking up a host "ftp"', async () => {
    const run = await loopctl(['--server', 'ftp://x', 'list']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      'loopctl: loop server "ftp://x" is not an http:// or https:// address (ftp:// is not supported)\n' +
        '  hint: give --server (or LOOP_SERVER) as http://host:port, https://host:port or host:port\n',
    );
  });
});
