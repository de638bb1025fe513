// Renders a capture as a copy-pasteable curl command that re-sends the captured request. Quoting is
// plain POSIX sh so the command also runs under dash (Debian's /bin/sh, which has no $'…'): text
// goes in single quotes, control characters become "$(printf '\ooo')" pieces, and bodies that are
// binary, huge, or start with '@' are piped in with `printf '<octal escapes>' | curl --data-binary @-`
// (printf is a shell builtin, so no argv size limit and NUL bytes survive).
import { isUtf8 } from 'node:buffer';
import { escapeControls } from '../core/escape-controls.js';
import { type CaptureInput, headerValue, isPseudoHeader } from './capture.js';
import { REDACTED } from './redact.js';
import { percentEncodePath } from './request-path.js';

export interface CurlOptions {
  /**
   * Send to this host:port (or URL base like `https://staging:8443`) instead of the captured
   * authority; the original authority is then kept as an explicit Host header.
   */
  destination?: string;
}

/** Bodies larger than this are piped through printf instead of passed as one argument. */
const MAX_INLINE_BODY = 64 * 1024;

/**
 * @example toCurl(capture) → `curl -X POST 'http://web:9090/pay' \ -H 'content-type: application/json' \ --data-binary '{"a":1}'`
 */
export function toCurl(capture: CaptureInput, options: CurlOptions = {}): string {
  const req = capture.request;
  const headers = req.headers;
  const method = headerValue(headers, ':method') ?? 'GET';
  const scheme = headerValue(headers, ':scheme') ?? 'http';
  const authority = headerValue(headers, ':authority') ?? headerValue(headers, 'host') ?? '';
  const path = percentEncodePath(headerValue(headers, ':path') ?? '/');
  const dest = options.destination;
  let base: string;
  if (dest) base = /^[a-z][a-z0-9+.-]*:\/\//i.test(dest) ? dest.replace(/\/+$/, '') : `${scheme}://${dest}`;
  else base = `${scheme}://${authority || capture.destination || 'localhost'}`;
  const url = `${base}${path.startsWith('/') || path === '*' ? '' : '/'}${path}`;

  const warnings: string[] = [];
  // First line: curl, method, URL; then one `flag value` pair per continuation line.
  const head: string[] = ['curl'];
  if (method === 'HEAD') head.push('--head');
  else head.push('-X', shellQuote(method));
  if (/[[\]{}]/.test(url)) head.push('--globoff'); // otherwise curl expands [1-3] and {a,b}
  if (/\/\.\.?(\/|$|\?)/.test(path)) head.push('--path-as-is'); // otherwise curl squashes /../
  head.push(shellQuote(url));
  const args: Array<[flag: string, value: string]> = [];

  if (dest && authority) args.push(['-H', shellQuote(`host: ${authority}`)]);
  for (const [name, rawValue] of headers) {
    const lower = name.toLowerCase();
    if (isPseudoHeader(name) || lower === 'content-length' || lower === 'host') continue;
    // A redacted secret would be sent as the text [REDACTED]; like replay, leave the header out and say so.
    if (rawValue === REDACTED) {
      warnings.push(`header ${name} was redacted at capture and is left out; add it with -H '${name}: …'`);
      continue;
    }
    let value = rawValue;
    if (value.includes('\0')) {
      warnings.push(`header ${name} contained NUL bytes, which a command line cannot carry; they were dropped`);
      value = value.replaceAll('\0', '');
    }
    // `-H 'name:'` would remove the header; `-H 'name;'` is curl's way to send it empty.
    args.push(['-H', shellQuote(value === '' ? `${name};` : `${name}: ${value}`)]);
  }

  // Headers curl sends of its own unless told not to (`-H 'Name:'` removes one): the request had none.
  for (const name of ['User-Agent', 'Accept']) if (headerValue(headers, name) === undefined) args.push(['-H', shellQuote(`${name}:`)]);
  let stdin = '';
  const body = req.body;
  if (body) {
    if (body.truncated) warnings.unshift(`body was truncated at ${body.bytes.length} bytes`);
    // With --data-binary curl adds `Content-Type: application/x-www-form-urlencoded`, and for a large body
    // `Expect: 100-continue` (then waits for the 100 a server may never send).
    for (const name of ['Content-Type', 'Expect']) if (headerValue(headers, name) === undefined) args.push(['-H', shellQuote(`${name}:`)]);
    if (isInlineText(body.bytes)) {
      args.push(['--data-binary', shellQuote(body.bytes.toString('utf8'))]);
    } else {
      stdin = `printf '${printfFormat(body.bytes)}' | `;
      args.push(['--data-binary', '@-']);
    }
  }

  // Control characters in a warning (a header name may hold a newline, and the rest of the line would then
  // run as a command) are written as escapes, so each warning stays one comment line.
  const lines = warnings.map((w) => `# warning: ${escapeControls(w)}\n`).join('');
  return `${lines}${stdin}${head.join(' ')}${args.map(([flag, value]) => ` \\\n  ${flag} ${value}`).join('')}`;
}

function isInlineText(bytes: Buffer): boolean {
  if (bytes.length > MAX_INLINE_BODY || bytes[0] === 0x40 /* @ */ || !isUtf8(bytes)) return false;
  for (const b of bytes) {
    if ((b < 0x20 && b !== 0x0a && b !== 0x09) || b === 0x7f) return false;
  }
  // C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F) can drive terminals too.
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 0xc2 && bytes[i + 1]! >= 0x80 && bytes[i + 1]! <= 0x9f) return false;
  return true;
}

/**
 * A printf format that prints exactly `bytes`: safe ASCII literal, everything else `\ooo`. A leading
 * '-' is escaped too, or printf would take the format for an option.
 */
function printfFormat(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x2d && out === '') out += '\\055';
    else if (b === 0x0a) out += '\\n';
    else if (b >= 0x20 && b <= 0x7e && b !== 0x27 && b !== 0x25 && b !== 0x5c) out += String.fromCharCode(b);
    else out += `\\${b.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/**
 * Quotes one word for POSIX sh (dash included). Printable text and newlines go in single quotes;
 * other control characters (which a terminal would act on when pasted) become "$(printf '\ooo')".
 * NUL cannot be part of a command-line argument and must be removed by the caller.
 */
export function shellQuote(s: string): string {
  let out = '';
  let run = '';
  let quoted = false;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x27) {
      run += `'\\''`;
      quoted = true;
    } else if (c === 0x0a || (c >= 0x20 && c !== 0x7f && !(c >= 0x80 && c <= 0x9f))) {
      run += ch;
      quoted = true;
    } else {
      if (quoted) out += `'${run}'`;
      run = '';
      quoted = false;
      let esc = '';
      for (const b of Buffer.from(ch, 'utf8')) esc += `\\${b.toString(8).padStart(3, '0')}`;
      out += `"$(printf '${esc}')"`;
    }
  }
  if (quoted) out += `'${run}'`;
  return out === '' ? `''` : out;
}
