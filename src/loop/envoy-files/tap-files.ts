// Envoy's `file_per_tap` output, read for import into the loop server. Envoy names each file
// `<path_prefix>_<trace_id>` plus an extension chosen by the sink's format:
//   .json                 JSON_BODY_AS_BYTES / JSON_BODY_AS_STRING: a pretty-printed TraceWrapper
//   .pb                   PROTO_BINARY: one bare TraceWrapper (not Gloo's TapRequest)
//   .pb_length_delimited  PROTO_BINARY_LENGTH_DELIMITED: varint length + TraceWrapper, repeated
//   .pb_text              PROTO_TEXT: protobuf text format, which we do not read
// (FilePerTapSink in Envoy's source/extensions/common/tap/tap_config_base.cc.)
//
// Each file becomes exactly one POST /v1/taps, which the server stores atomically, so a file is
// imported wholly or not at all: .json goes as is; a .pb is checked here and sent wrapped as the
// TapRequest the server's protobuf route reads; the traces of a .pb_length_delimited file are
// decoded here and sent together as NDJSON (the protobuf route takes one trace per request).
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { traceToCaptureInput } from '../../capture/envoy-trace.js';
import { encodeEnvoyTrace } from '../../capture/envoy-trace-json.js';
import { splitLengthDelimited } from '../../capture/length-delimited-splitter.js';
import { encodeProto } from '../../capture/proto-wire.js';
import { envoyTraceFromTraceWrapper } from '../../capture/tap-request-proto.js';
import { LoopError, isLoopError, messageOf } from '../../core/errors.js';

export const TAP_FILE_FORMATS = ['json', 'pb', 'pb_length_delimited'] as const;
export type TapFileFormat = (typeof TAP_FILE_FORMATS)[number];

const EXTENSIONS: Record<string, TapFileFormat | 'pb_text'> = {
  '.json': 'json',
  '.pb': 'pb',
  '.pb_length_delimited': 'pb_length_delimited',
  '.pb_text': 'pb_text',
};

/** The format a file's extension names, `pb_text` for the one we cannot read, undefined for others. */
export function formatOfFile(file: string): TapFileFormat | 'pb_text' | undefined {
  return EXTENSIONS[path.extname(file).toLowerCase()];
}

/** The format to read `file` in: the forced one, else by extension; throws naming the file. */
export function resolveFileFormat(file: string, forced: TapFileFormat | 'auto'): TapFileFormat {
  if (forced !== 'auto') return forced;
  const format = formatOfFile(file);
  if (format === 'pb_text') {
    throw new LoopError('BAD_REQUEST', `${file}: PROTO_TEXT tap files (.pb_text) are not supported`, {
      hint: "set the tap sink's format to JSON_BODY_AS_BYTES, PROTO_BINARY or PROTO_BINARY_LENGTH_DELIMITED",
    });
  }
  if (!format) {
    throw new LoopError('BAD_REQUEST', `${file}: cannot tell the format from the extension (expected .json, .pb or .pb_length_delimited)`, {
      hint: 'name the format with --format json|pb|pb_length_delimited',
    });
  }
  return format;
}

/** What to POST to /v1/taps for one file. */
export interface TapUpload {
  contentType: string;
  body: Buffer;
}

/**
 * Turns a tap file's bytes into one POST body. Binary files are decoded here (errors name the file,
 * the trace and the byte offset); JSON is left to the server, which names the bad trace itself.
 */
export function tapFileUpload(file: string, bytes: Buffer, format: TapFileFormat): TapUpload {
  try {
    switch (format) {
      case 'json':
        return { contentType: 'application/json', body: bytes };
      case 'pb':
        envoyTraceFromTraceWrapper(bytes); // reject a bad file before sending it
        // TapRequest { TraceWrapper trace_data = 1 }: the file's bytes are the embedded message as is.
        return { contentType: 'application/x-protobuf', body: encodeProto((s) => s.bytes(1, bytes, true)) };
      case 'pb_length_delimited': {
        const messages = splitLengthDelimited(bytes);
        if (messages.length === 0) throw new LoopError('INGEST_INVALID', 'the file holds no traces');
        const lines = messages.map((m, i) => {
          try {
            const capture = traceToCaptureInput(envoyTraceFromTraceWrapper(m), { source: '', capturedAt: '' });
            return JSON.stringify(encodeEnvoyTrace(capture));
          } catch (err) {
            throw new LoopError('INGEST_INVALID', `trace ${i + 1} of ${messages.length}: ${messageOf(err)}`, { cause: err });
          }
        });
        return { contentType: 'application/x-ndjson', body: Buffer.from(lines.join('\n') + '\n') };
      }
    }
  } catch (err) {
    const code = isLoopError(err) ? err.code : 'INGEST_INVALID';
    throw new LoopError(code, `${file}: ${messageOf(err)}`, { cause: err });
  }
}

/** The files named by the command line, in order, each once. */
export interface TapFileList {
  files: string[];
  /** Arguments that named nothing readable, with why. */
  problems: Array<{ arg: string; error: LoopError }>;
  /** Files in named directories skipped because they are not tap output (by extension). */
  skipped: string[];
}

const collator = new Intl.Collator('en', { numeric: true });

/**
 * Expands files, directories (their files, not recursively: `file_per_tap` writes one directory)
 * and `*`, `?`, `[…]` wildcards in the last path segment (for shells that do not expand them, and
 * for Windows). Directory contents and wildcard matches are sorted by name, numbers numerically,
 * so `tap_9` comes before `tap_10`.
 */
export async function expandTapFileArgs(args: readonly string[], format: TapFileFormat | 'auto'): Promise<TapFileList> {
  const out: TapFileList = { files: [], problems: [], skipped: [] };
  const seen = new Set<string>();
  const add = (file: string): void => {
    const key = path.resolve(file);
    if (seen.has(key)) return;
    seen.add(key);
    out.files.push(file);
  };
  for (const arg of args) {
    try {
      const info = await stat(arg).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' && hasWildcard(arg)) return undefined;
        throw err;
      });
      if (!info) {
        const matches = await expandWildcard(arg);
        if (matches.length === 0) throw new LoopError('NOT_FOUND', `${arg}: no files match`);
        matches.forEach(add);
      } else if (info.isDirectory()) {
        const names = (await readdir(arg, { withFileTypes: true })).filter(isFileEntry).map((e) => e.name).sort(collator.compare);
        const before = out.files.length;
        for (const name of names) {
          if (name.startsWith('.')) continue;
          const file = path.join(arg, name);
          if (format === 'auto' && formatOfFile(name) === undefined) out.skipped.push(file);
          else add(file);
        }
        if (out.files.length === before) throw new LoopError('NOT_FOUND', `${arg}: no tap files (.json, .pb, .pb_length_delimited) in this directory`);
      } else add(arg);
    } catch (err) {
      out.problems.push({ arg, error: asLoopError(arg, err) });
    }
  }
  return out;
}

function isFileEntry(e: Dirent): boolean {
  return e.isFile() || e.isSymbolicLink();
}

function hasWildcard(s: string): boolean {
  return /[*?[]/.test(s);
}

async function expandWildcard(pattern: string): Promise<string[]> {
  const dir = path.dirname(pattern);
  if (hasWildcard(dir)) throw new LoopError('BAD_REQUEST', `${pattern}: wildcards are supported in the file name only, not in directories`);
  const re = wildcardRegExp(path.basename(pattern));
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => isFileEntry(e) && re.test(e.name))
    .map((e) => e.name)
    .sort(collator.compare)
    .map((name) => (dir === '.' && !pattern.startsWith('.') ? name : path.join(dir, name)));
}

/** Shell-style: `*` and `?` never match a leading dot; `[abc]`, `[a-z]`, `[!x]` classes. */
function wildcardRegExp(glob: string): RegExp {
  let re = glob.startsWith('.') ? '' : '(?!\\.)';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function asLoopError(arg: string, err: unknown): LoopError {
  if (isLoopError(err)) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new LoopError('NOT_FOUND', `${arg}: no such file or directory`, { cause: err });
  return new LoopError('BAD_REQUEST', `${arg}: cannot read (${code ?? messageOf(err)})`, { cause: err });
}
