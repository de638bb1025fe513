// `loopctl import FILE...`: sends Envoy `file_per_tap` output (files, directories, wildcards) to the
// loop server. One POST per file, stored atomically by the server, so each file is imported wholly or
// not at all; a bad file is reported and the others still import; the exit code says whether all did.
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { didYouMean } from '../../core/did-you-mean.js';
import { LoopError, isLoopError, messageOf } from '../../core/errors.js';
import { TAP_FILE_FORMATS, type TapFileFormat, expandTapFileArgs, resolveFileFormat, tapFileUpload } from '../../loop/envoy-files/index.js';
import { CommandExit, EXIT, fileReadError, formatCliError } from '../cli-support.js';
import type { CliIo } from './commands.js';
import { loopClientFor } from './global-options.js';
import { tapConfigKey, type StoredTapConfig } from '../../tapconfig/tapconfig.js';
import type { LoopClient } from './loop-client.js';
import { parseTapConfigRef } from './tapconfig-ref.js';

interface ImportOptions {
  format: TapFileFormat | 'auto';
  tapConfig?: string;
  source?: string;
  output: 'text' | 'json';
}

/** `olderThanRetention`: traces dated before the server's --retention-max-age (its next retention pass deletes them). */
type FileResult = { file: string; traces: number; ids: number[]; olderThanRetention?: number } | { file: string; error: { code: string; message: string } };

/** Without a terminal, a progress line every this many files. */
const PROGRESS_EVERY = 100;

export function registerImportCommand(program: Command, io: CliIo): void {
  program
    .command('import <files...>')
    .description("import Envoy file_per_tap output (<prefix>_<trace_id>.json, .pb, .pb_length_delimited): files, directories or wildcards")
    .addOption(new Option('--format <format>', 'how to read the files; auto goes by extension').choices(['auto', ...TAP_FILE_FORMATS]).default('auto'))
    .option('--tap-config <ns/name>', 'record the captures as matched by this TapConfig, one the loop server has (its redaction rules apply); NAME alone is in namespace default')
    .option('--source <name>', 'source recorded on each capture (default: file:<file name>)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (args: string[], o: ImportOptions) => {
      const client = loopClientFor(program);
      await runImport(client, args, o, io);
    });
}

async function runImport(client: LoopClient, args: string[], o: ImportOptions, io: CliIo): Promise<void> {
  const tapConfig = o.tapConfig === undefined ? undefined : await knownTapConfig(client, o.tapConfig);
  const list = await expandTapFileArgs(args, o.format);
  const results: FileResult[] = [];
  const progress = createProgress(io, list.files.length);
  let expiring = { count: 0, maxAge: '' };
  const fail = (file: string, err: LoopError): void => {
    results.push({ file, error: { code: err.code, message: err.message } });
    progress.clear();
    io.stderr.write(formatCliError('loopctl', err));
  };
  for (const { arg, error } of list.problems) fail(arg, error);
  if (list.files.length === 0 && list.problems.length === 0) {
    throw new LoopError('NOT_FOUND', 'no tap files to import', { hint: 'name files, directories or wildcards such as /tmp/tap/tap_*.json' });
  }

  for (const [i, file] of list.files.entries()) {
    progress.show(i, file);
    try {
      const upload = tapFileUpload(file, await readTapFile(file), resolveFileFormat(file, o.format));
      const query = new URLSearchParams({ source: o.source ?? `file:${baseName(file)}`, ...(tapConfig ? { tapConfig } : {}) });
      const res = await client.request('POST', `/v1/taps?${query}`, { body: upload.body, contentType: upload.contentType });
      const { ids, olderThanRetention, retentionMaxAge } = (await res.json()) as { stored: number; ids: number[]; olderThanRetention?: number; retentionMaxAge?: string };
      results.push({ file, traces: ids.length, ids, ...(olderThanRetention ? { olderThanRetention } : {}) });
      if (olderThanRetention) expiring = { count: expiring.count + olderThanRetention, maxAge: retentionMaxAge ?? expiring.maxAge };
    } catch (err) {
      if (isLoopError(err, 'SERVER_UNREACHABLE')) {
        // Nothing more can be imported; say what was before giving up.
        progress.clear();
        if (results.length > 0) printSummary(io, o.output, results, list.skipped);
        throw err;
      }
      const e = isLoopError(err) ? err : new LoopError('INTERNAL', messageOf(err), { cause: err });
      // Server answers (400, 413) are about the file's content: name the file.
      fail(file, e.message.startsWith(file) ? e : new LoopError(e.code, `${file}: ${e.message}`, { cause: e, ...(e.hint ? { hint: e.hint } : {}) }));
    }
  }
  progress.clear();
  printSummary(io, o.output, results, list.skipped);
  if (expiring.count > 0) {
    const n = expiring.count;
    io.stderr.write(
      `loopctl: ${n} imported trace${n === 1 ? ' is' : 's are'} dated before the server's retention of ${expiring.maxAge} (the traffic's own time); ` +
        `its next retention pass deletes ${n === 1 ? 'it' : 'them'}\n  hint: to keep ${n === 1 ? 'it' : 'them'}, restart loop serve with a longer --retention-max-age (0 keeps captures forever) and import again\n`,
    );
  }
  if (results.some((r) => 'error' in r)) throw new CommandExit(EXIT.FAILED);
}

/**
 * `--tap-config` as the key of a TapConfig the server has. The server stores any label it is sent (a Gloo
 * sink's may name a TapConfig it never saw), so a misspelt one would be stored as given and its TapConfig's
 * redaction rules would not apply: refused here, before any file is sent.
 */
async function knownTapConfig(client: LoopClient, given: string): Promise<string> {
  let ref;
  try {
    ref = parseTapConfigRef(given);
  } catch (err) {
    throw new LoopError('BAD_REQUEST', `--tap-config: ${messageOf(err)}`);
  }
  const key = `${ref.namespace}/${ref.name}`;
  const { items } = await client.json<{ items: StoredTapConfig[] }>('GET', '/v1/tapconfigs');
  const keys = items.map(tapConfigKey);
  if (keys.includes(key)) return key;
  throw new LoopError('NOT_FOUND', `--tap-config: the loop server has no TapConfig ${key}${didYouMean(key, keys)}; nothing was imported`, {
    hint: keys.length > 0 ? `it has ${keys.join(', ')} (loopctl get tapconfigs); leave --tap-config out to import without one` : 'it has none: apply one first (loopctl apply -f tap.yaml), or leave --tap-config out',
  });
}

async function readTapFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw fileReadError(file, err);
  }
}

function baseName(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}

function printSummary(io: CliIo, output: 'text' | 'json', results: FileResult[], skipped: string[]): void {
  const imported = results.filter((r): r is Extract<FileResult, { traces: number }> => 'traces' in r);
  const failed = results.length - imported.length;
  const traces = imported.reduce((n, r) => n + r.traces, 0);
  if (output === 'json') {
    io.stdout.write(JSON.stringify({ files: results.length, imported: imported.length, failed, traces, skipped, results }, null, 2) + '\n');
    return;
  }
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  let line = `imported ${plural(traces, 'trace')} from ${plural(imported.length, 'file')}`;
  if (failed > 0) line += `; ${plural(failed, 'file')} failed`;
  if (skipped.length > 0) line += `; skipped ${plural(skipped.length, 'file')} that ${skipped.length === 1 ? 'is' : 'are'} not tap output`;
  io.stdout.write(line + '\n');
}

/** A self-rewriting line on a terminal; an occasional plain line otherwise (logs, CI). */
function createProgress(io: CliIo, total: number): { show(i: number, file: string): void; clear(): void } {
  const tty = Boolean((io.stderr as { isTTY?: boolean }).isTTY);
  let shown = false;
  return {
    show(i, file) {
      if (total < 2) return;
      if (tty) {
        io.stderr.write(`\r\x1b[Kimporting ${i + 1}/${total} ${baseName(file)}`);
        shown = true;
      } else if (i > 0 && i % PROGRESS_EVERY === 0) {
        io.stderr.write(`importing: ${i}/${total} files done\n`);
      }
    },
    clear() {
      if (!shown) return;
      io.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}
