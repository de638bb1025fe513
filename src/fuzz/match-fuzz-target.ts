// Fuzz target: the match language (lexer, parser, RE2 check, evaluator, Envoy compiler). Inputs come from
// the grammar of DESIGN.md with near-misses at every step (misspelt names, bad escapes, wrong argument
// kinds, odd regexes, deep nesting), then some are mutated as text.
import { isLoopError } from '../core/errors.js';
import { compileMatch, formatMatchError, MatchSyntaxError, requestHeadList, responseHeadList, type RequestHead } from '../match/index.js';
import { headerValue, statusOf, type CaptureInput } from '../capture/capture.js';
import type { Gen } from './fuzz-random.js';
import { FuzzPropertyError, showInput, type FuzzTarget } from './fuzz-target.js';
import { mutateText } from './mutate.js';
import { seedCaptures } from './fuzz-seeds.js';

const HEADER_FIELDS = ['requestHeaders', 'responseHeaders', 'requestTrailers', 'responseTrailers'];
const NEAR_FIELDS = ['responseHeader', 'ResponseHeaders', 'requestHeaders2', 'request', 'headers', '_', 'true', 'prefix'];
const BODY_FIELDS = ['requestBody', 'responseBody'];
const HEADER_NAMES = [':status', ':path', ':method', 'content-type', 'x-b3-traceid', 'X-Upper', 'a', "!#$%&'*+-.^_`|~"];
const CALLS = ['prefix', 'suffix', 'contains', 'regex', 'present', 'range'];
const NEAR_CALLS = ['prefx', 'Prefix', 'exact', 'startsWith', 'rangee', 'present1'];
const REGEXES = [
  '5..', '5\\d\\d', '(?i)abc', '(?s).*', '(?is)x', '[a-z]+', '[^]]', '(a|b)*c', 'a{2,3}', '\\p{L}+', '\\bword\\b', '.*',
  '(?=x)', '(?!x)', '(?<=x)', '(?<!x)', '(a)\\1', '\\k<n>', '(?P<n>x)', '(?<n>x)', '\\u0041', '\\cA', '(', ')', '[', '*',
  'a**', '\\', '(?i', '(?x)a', '[\\d-z]', '\\Q.\\E', 'x{99999999999}', '(?:', '[[:alpha:]]', '\\z', '\\A',
];
const ESCAPES = ['\\"', '\\\\', '\\n', '\\t', '\\u00e9', '\\u12', '\\x41', '\\q', '\\', '\\uD800', '\\uZZZZ'];
const DICTIONARY = ['(', ')', '!', '&&', '||', '==', '!=', '[', ']', ',', '"', '\\', 'true', ' ', '\n', '\r\n', '\t', '=', '&', '|', "'", '-', '99999999999999999999', '1.5', ...CALLS, ...HEADER_FIELDS, ...BODY_FIELDS];

const SAMPLES: readonly CaptureInput[] = seedCaptures();

/** A sample as a tap point has its heads, and the capture those heads stand for. */
interface Heads {
  request: RequestHead;
  status: number;
  response: string[];
  capture: CaptureInput;
}

const PSEUDO = new Set([':method', ':path', ':authority', ':scheme']);

// Each sample as given and with its header names upper-cased (names compare case-insensitively).
const HEADS: readonly Heads[] = SAMPLES.flatMap((c) => [headsOf(c, (n) => n), headsOf(c, (n) => n.toUpperCase())]);

function headsOf(c: CaptureInput, name: (n: string) => string): Heads {
  const req = c.request.headers;
  const rawHeaders = req.filter(([n]) => !PSEUDO.has(n)).flatMap(([n, v]) => [name(n), v]);
  const request: RequestHead = { method: headerValue(req, ':method') ?? '', path: headerValue(req, ':path') ?? '', authority: headerValue(req, ':authority') ?? '', scheme: headerValue(req, ':scheme') ?? '', headers: [], rawHeaders };
  const status = statusOf(c);
  const response = c.response.headers.filter(([n]) => n !== ':status').flatMap(([n, v]) => [name(n), v]);
  const capture = { ...c, request: { ...c.request, headers: requestHeadList(request) }, response: { ...c.response, headers: responseHeadList(status, response) } };
  return { request, status, response, capture };
}

function str(content: string): string {
  return `"${content}"`;
}

function stringContent(gen: Gen): string {
  return gen.weighted<() => string>([
    [4, () => gen.chars('abcxyz059/-_. ', gen.size(12))],
    [2, () => gen.pick(HEADER_NAMES)],
    [1, () => gen.pick(ESCAPES)],
    [1, () => gen.pick(REGEXES).replace(/\\/g, gen.chance(0.8) ? '\\\\' : '\\')],
    [1, () => Array.from({ length: gen.size(6) }, () => gen.char()).join('').replace(/["\\\n\r]/g, '')],
    [1, () => ''],
  ])();
}

function integer(gen: Gen): string {
  return gen.weighted<() => string>([
    [5, () => String(gen.range(0, 999))],
    [1, () => String(-gen.range(0, 999))],
    [1, () => gen.pick(['9007199254740991', '9007199254740992', '-9007199254740993', '1e3', '0x10', '007', '1.5', '-'])],
  ])();
}

function matcher(gen: Gen): string {
  return gen.weighted<() => string>([
    [3, () => str(stringContent(gen))],
    [4, () => {
      const call = gen.chance(0.9) ? gen.pick(CALLS) : gen.pick(NEAR_CALLS);
      if (call === 'present' || gen.chance(0.05)) return `${call}()`;
      if (call === 'range' || gen.chance(0.05)) return `${call}(${integer(gen)}, ${integer(gen)})`;
      if (call === 'regex') return `regex("${gen.pick(REGEXES).replace(/\\/g, '\\\\')}")`;
      return `${call}(${str(stringContent(gen))})`;
    }],
    [1, () => integer(gen)],
    [1, () => gen.pick(['', 'prefix', 'prefix(', 'range(1)', 'range(1,)', 'present(', 'true', '"a" "b"'])],
  ])();
}

function comparison(gen: Gen): string {
  const op = gen.weighted([[9, gen.pick(['==', '!='])], [1, gen.pick(['=', '===', '<>', '', '!'])]]);
  if (gen.chance(0.2)) {
    const field = gen.pick(BODY_FIELDS);
    return `${field}${gen.chance(0.1) ? '["x"]' : ''} ${op} ${gen.chance(0.7) ? `contains(${str(stringContent(gen))})` : matcher(gen)}`;
  }
  const field = gen.chance(0.9) ? gen.pick(HEADER_FIELDS) : gen.pick(NEAR_FIELDS);
  const index = gen.weighted<() => string>([
    [8, () => `[${str(gen.chance(0.7) ? gen.pick(HEADER_NAMES) : stringContent(gen))}]`],
    [1, () => gen.pick(['', '[]', '[1]', '[":status"', '":status"]', "[':status']"])],
  ])();
  return `${field}${index} ${op} ${matcher(gen)}`;
}

function expression(gen: Gen, depth: number): string {
  if (depth > 6) return comparison(gen);
  return gen.weighted<() => string>([
    [5, () => comparison(gen)],
    [1, () => 'true'],
    [2, () => `${expression(gen, depth + 1)} ${gen.pick(['&&', '||'])} ${expression(gen, depth + 1)}`],
    [1, () => `!${expression(gen, depth + 1)}`],
    [1, () => `(${expression(gen, depth + 1)})`],
    [1, () => `(${gen.chance(0.5) ? '\n' : ' '}${expression(gen, depth + 1)}\n)`],
  ])();
}

/** Deep nesting around a comparison: at, just over and far over the parser's limit, and over the length limit. */
function deep(gen: Gen): string {
  const n = gen.pick([63, 64, 65, 200, 3000, 100_000]);
  const inner = gen.chance(0.5) ? 'true' : 'responseHeaders[":status"] == "500"';
  const kind = gen.int(3);
  if (kind === 0) return '('.repeat(n) + inner + ')'.repeat(n);
  if (kind === 1) return '!'.repeat(n) + inner;
  return `${inner} && `.repeat(Math.min(n, 300)) + inner;
}

export function generateMatchExpression(gen: Gen): string {
  const text = gen.weighted<() => string>([
    [20, () => expression(gen, 0)],
    [1, () => deep(gen)],
    [1, () => Array.from({ length: gen.size(40) }, () => gen.char()).join('')],
  ])();
  return gen.chance(0.35) ? mutateText(gen, text, DICTIONARY) : text;
}

export const matchFuzzTarget: FuzzTarget<string> = {
  name: 'match',
  generate: generateMatchExpression,
  run(source) {
    let compiled;
    try {
      compiled = compileMatch(source);
    } catch (err) {
      if (err instanceof MatchSyntaxError) {
        const text = formatMatchError(err);
        if (!text.includes('^') || err.line < 1 || err.column < 1) throw new FuzzPropertyError(`bad error rendering: ${text}`);
      } else if (isLoopError(err)) {
        throw new FuzzPropertyError(`parse failed with ${err.code}, expected MATCH_SYNTAX: ${err.message}`);
      }
      throw err;
    }
    // An accepted expression must evaluate and compile to Envoy without throwing anything.
    for (const c of SAMPLES) {
      const full = compiled.matches(c);
      const known = compiled.matchesKnown(c, compiled.fields);
      if (known !== undefined && known !== full) throw new FuzzPropertyError(`matchesKnown(all fields) = ${known} but matches = ${full}`);
      compiled.matchesKnown(c, []);
    }
    // What a tap decides from the heads, read where the tap point has them, is what the partial evaluator decides.
    for (const h of HEADS) {
      const atRequest = compiled.matchesKnown(h.capture, ['requestHeaders']);
      const heads = compiled.matchesHeads(h.request, 0, undefined);
      if (heads !== atRequest) throw new FuzzPropertyError(`matchesHeads at the request head = ${heads} but matchesKnown(requestHeaders) = ${atRequest}`);
      const atResponse = compiled.matchesKnown(h.capture, ['requestHeaders', 'responseHeaders']);
      const both = compiled.matchesHeads(h.request, h.status, h.response);
      if (both !== atResponse) throw new FuzzPropertyError(`matchesHeads at the response head = ${both} but matchesKnown(request and response headers) = ${atResponse}`);
    }
    JSON.stringify(compiled.toEnvoy());
  },
  show: (s) => showInput(s),
  size: (s) => s.length,
};
