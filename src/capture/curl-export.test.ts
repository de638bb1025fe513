import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { CaptureInput, HeaderList } from './capture.js';
import { shellQuote, toCurl } from './curl-export.js';

// Each command is run for real by a shell in which `curl` is a function that reports its
// arguments (count, then each NUL-terminated) followed by whatever it reads on stdin.
const SHELLS = ['sh', 'bash'];
const FAKE_CURL = `curl() { printf '%s\\0' "$#"; for a in "$@"; do printf '%s\\0' "$a"; done; cat; }\n`;

interface Ran {
  args: string[];
  stdin: Buffer;
}

function run(shell: string, command: string): Ran {
  const out = execFileSync(shell, ['-c', FAKE_CURL + command], { input: '' });
  let at = out.indexOf(0);
  const count = Number(out.subarray(0, at).toString());
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const end = out.indexOf(0, at + 1);
    args.push(out.subarray(at + 1, end).toString('utf8'));
    at = end;
  }
  return { args, stdin: out.subarray(at + 1) };
}

function capture(headers: HeaderList, body?: Buffer, truncated = false): CaptureInput {
  return {
    capturedAt: '2026-03-01T10:00:00Z',
    tapConfig: '',
    source: 't',
    destination: '',
    durationMs: null,
    request: { headers, trailers: [], ...(body ? { body: { bytes: body, truncated } } : {}) },
    response: { headers: [], trailers: [] },
  };
}

const execFileP = promisify(execFile);

// What the commands add so that curl sends none of its own headers the capture did not have.
const NO_CURL_DEFAULTS = ['-H', 'User-Agent:', '-H', 'Accept:'];
const NO_CURL_BODY_DEFAULTS = ['-H', 'Expect:'];

const NASTY_VALUES = [
  "it's",
  'say "hi"',
  '$(touch /tmp/pwned) `id` $HOME ${PATH}',
  'back\\slash \\n \\047',
  'tab\there',
  'esc\x1b[31mred\x1b[0m bell\x07 del\x7f c1\u009b',
  'caf\u00e9 🦀 \u2028',
  '%s %d %% %b',
  "'''",
  '!event ;& | > < * ? ~',
  'line1\nline2',
  'cr\rlf',
];

describe('toCurl', () => {
  it.each(SHELLS)('passes every header value through %s exactly', (shell) => {
    const headers: HeaderList = [
      [':method', 'POST'],
      [':path', '/p'],
      [':authority', 'svc:8080'],
      ['content-type', 'text/plain'],
      ...NASTY_VALUES.map((v, i): [string, string] => [`x-h${i}`, v]),
    ];
    const r = run(shell, toCurl(capture(headers, Buffer.from('ok'))));
    expect(r.args).toEqual([
      '-X',
      'POST',
      'http://svc:8080/p',
      '-H',
      'content-type: text/plain',
      ...NASTY_VALUES.flatMap((v, i) => ['-H', `x-h${i}: ${v}`]),
      ...NO_CURL_DEFAULTS,
      ...NO_CURL_BODY_DEFAULTS,
      '--data-binary',
      'ok',
    ]);
  });

  const BODIES: Array<[string, Buffer, 'inline' | 'stdin']> = [
    ['JSON with quotes', Buffer.from(`{"msg":"it's \\"quoted\\"","n":1}`), 'inline'],
    ['pretty JSON with newlines and tabs', Buffer.from('{\n\t"a": 1\n}\n\n'), 'inline'],
    ['shell metacharacters', Buffer.from('$(id) `id` $HOME \\ ! *'), 'inline'],
    ['binary with NUL bytes', Buffer.from([0, 1, 2, 0xff, 0x27, 0x25, 0x5c, 10, 0, 0]), 'stdin'],
    ['a leading @ (curl would read a file)', Buffer.from('@/etc/passwd'), 'stdin'],
    ['CRLF multipart', Buffer.from('--b\r\ncontent-disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n'), 'stdin'],
    ['printf directives and escapes', Buffer.from('%s %n \\n \\047 %%\x1b'), 'stdin'],
    ['invalid UTF-8', Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'stdin'],
    ['a large text body', Buffer.alloc(100 * 1024, 'a'), 'stdin'],
    ['an empty body', Buffer.alloc(0), 'inline'],
  ];

  for (const shell of SHELLS) {
    it.each(BODIES)(`sends a body with %s byte-exactly through ${shell}`, (_name, body, mode) => {
      const headers: HeaderList = [
        [':method', 'PUT'],
        [':path', '/upload'],
        ['host', 'files.test'],
        ['content-type', 'application/octet-stream'],
        ['content-length', String(body.length)],
      ];
      const r = run(shell, toCurl(capture(headers, body)));
      const dataAt = r.args.indexOf('--data-binary');
      expect(r.args.slice(0, dataAt)).toEqual(['-X', 'PUT', 'http://files.test/upload', '-H', 'content-type: application/octet-stream', ...NO_CURL_DEFAULTS, ...NO_CURL_BODY_DEFAULTS]);
      if (mode === 'inline') {
        expect(r.args[dataAt + 1]).toBe(body.toString('utf8'));
        expect(r.stdin.length).toBe(0);
      } else {
        expect(r.args[dataAt + 1]).toBe('@-');
        expect(r.stdin.equals(body)).toBe(true);
      }
    });
  }

  it('starts with a warning comment when the body was truncated, and still runs', () => {
    const cmd = toCurl(capture([[':method', 'POST'], [':path', '/'], [':authority', 'a']], Buffer.from('{"par'), true));
    expect(cmd.split('\n')[0]).toBe('# warning: body was truncated at 5 bytes');
    const r = run('sh', cmd);
    expect(r.args).toEqual(['-X', 'POST', 'http://a/', ...NO_CURL_DEFAULTS, '-H', 'Content-Type:', ...NO_CURL_BODY_DEFAULTS, '--data-binary', '{"par']);
  });

  it('uses the destination for the URL and keeps the original authority as Host', () => {
    const headers: HeaderList = [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'web.default:9090'],
      [':path', '/'],
      ['accept', '*/*'],
    ];
    expect(run('sh', toCurl(capture(headers), { destination: 'localhost:8080' })).args).toEqual([
      '-X',
      'GET',
      'http://localhost:8080/',
      '-H',
      'host: web.default:9090',
      '-H',
      'accept: */*',
      '-H',
      'User-Agent:',
    ]);
    expect(run('sh', toCurl(capture(headers), { destination: 'https://staging.test:8443/' })).args[2]).toBe('https://staging.test:8443/');
  });

  it('drops pseudo-headers and content-length, sends empty headers with ";", and uses --head for HEAD', () => {
    const headers: HeaderList = [
      [':method', 'HEAD'],
      [':path', '/x'],
      ['host', 'h'],
      ['content-length', '0'],
      ['x-empty', ''],
    ];
    const cmd = toCurl(capture(headers));
    expect(cmd).toBe("curl --head 'http://h/x' \\\n  -H 'x-empty;' \\\n  -H 'User-Agent:' \\\n  -H 'Accept:'");
    expect(run('sh', cmd).args).toEqual(['--head', 'http://h/x', '-H', 'x-empty;', ...NO_CURL_DEFAULTS]);
  });

  it('keeps odd paths literal for curl: --globoff for brackets, --path-as-is for dot segments, percent-encoding for spaces', () => {
    const cmd = toCurl(capture([[':method', 'GET'], [':path', '/a/../b c?x[0]={1}'], ['host', 'h']]));
    expect(run('bash', cmd).args).toEqual(['-X', 'GET', '--globoff', '--path-as-is', 'http://h/a/../b%20c?x[0]={1}', ...NO_CURL_DEFAULTS]);
  });

  it('warns about and drops NUL bytes in header values, which argv cannot carry', () => {
    const cmd = toCurl(capture([[':method', 'GET'], [':path', '/'], ['host', 'h'], ['x-nul', 'a\0b']]));
    expect(cmd.split('\n')[0]).toBe('# warning: header x-nul contained NUL bytes, which a command line cannot carry; they were dropped');
    expect(run('sh', cmd).args).toContain('x-nul: ab');
  });

  it('leaves out a header redacted at capture, as replay does, and says how to add it back', () => {
    const cmd = toCurl(capture([[':method', 'GET'], [':path', '/'], ['host', 'h'], ['authorization', '[REDACTED]'], ['x-ok', '1']]));
    expect(cmd.split('\n')[0]).toBe("# warning: header authorization was redacted at capture and is left out; add it with -H 'authorization: …'");
    expect(cmd).not.toContain('[REDACTED]');
    expect(run('sh', cmd).args).toEqual(['-X', 'GET', 'http://h/', '-H', 'x-ok: 1', ...NO_CURL_DEFAULTS]);
  });

  // Ingest takes header names as they come (Envoy JSON, HAR): a name is any text but NUL.
  it.each(SHELLS)('keeps a warning about a hostile header name one comment line under %s', (shell) => {
    const name = 'x-a\ntouch /tmp/pwned #\r\x1b[2J\u009b';
    const cmd = toCurl(capture([[':method', 'GET'], [':path', '/'], ['host', 'h'], [name, '[REDACTED]']]));
    const lines = cmd.split('\n');
    expect(lines.filter((l) => l.startsWith('#'))).toHaveLength(1);
    expect(lines[1]).toMatch(/^curl /);
    expect(lines[0]).toBe("# warning: header x-a\\x0atouch /tmp/pwned #\\x0d\\x1b[2J\\u009b was redacted at capture and is left out; add it with -H 'x-a\\x0atouch /tmp/pwned #\\x0d\\x1b[2J\\u009b: …'");
    expect(run(shell, `touch() { exit 1; }\n${cmd}`).args).toEqual(['-X', 'GET', 'http://h/', ...NO_CURL_DEFAULTS]);
  });

  // curl sent its own User-Agent and Accept (and, for a body over 1 KiB, Expect: 100-continue, then waited a
  // second for the 100) with every exported command: the request it made was not the captured one.
  it.each(SHELLS)('makes real curl under %s send the captured headers and no others', async (shell) => {
    const heads: string[] = [];
    const server = net.createServer((socket) => {
      let head = '';
      let answered = false;
      // The head is all this needs; the body that follows is read and dropped.
      socket.on('data', (chunk: Buffer) => {
        if (answered) return;
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        answered = true;
        heads.push(head.slice(0, head.indexOf('\r\n\r\n')));
        socket.end('HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const body = Buffer.alloc(2 * 1024 * 1024, 'a');
      const headers: HeaderList = [[':method', 'POST'], [':path', '/pay'], [':authority', 'web.default:9090'], ['x-request-id', '7']];
      // A file, not -c: a 2 MiB body is more than one argument may hold.
      const script = path.join(await mkdtemp(path.join(tmpdir(), 'curl-export-')), 'replay.sh');
      await writeFile(script, toCurl(capture(headers, body), { destination: `127.0.0.1:${port}` }).replace(/^curl /m, 'curl -sS '));
      await execFileP(shell, [script]);
      await rm(path.dirname(script), { recursive: true });
      const lines = heads[0]!.split('\r\n');
      expect(lines[0]).toBe('POST /pay HTTP/1.1');
      expect(lines.slice(1).map((l) => l.slice(0, l.indexOf(':')).toLowerCase()).sort()).toEqual(['content-length', 'host', 'x-request-id']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('quotes single words readably', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('a\x1bb')).toBe(`'a'"$(printf '\\033')"'b'`);
  });
});
