// loopctl's commands. Each one talks to the loop server through LoopClient and prints for humans by
// default, JSON with `-o json`.
import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { Command, Option } from 'commander';
import type { CaptureSummary } from '../../capture/capture.js';
import { shellQuote } from '../../capture/curl-export.js';
import { LoopError } from '../../core/errors.js';
import { escapeControls } from '../../core/escape-controls.js';
import { flagName } from '../../core/options-schema.js';
import { renderMatchHelpText } from '../../match/index.js';
import type { StoredTapConfig } from '../../tapconfig/tapconfig.js';
import { CommandExit, EXIT, fileReadError, toYaml, unexpectedArguments } from '../cli-support.js';
import { registerEnvoyConfigCommand } from './envoy-config-command.js';
import { registerImportCommand } from './import-command.js';
import { loopClientFor, type GlobalOptions } from './global-options.js';
import type { LoopClient } from './loop-client.js';
import { colorStyle, plainStyle, renderCapture, renderReplay, type ReplayJson, type StoredCaptureJson, type Style } from './render-capture.js';
import { renderTable, type Column } from './render-table.js';
import { parseTapConfigRef } from './tapconfig-ref.js';
import { jsonForTerminal, yamlForTerminal } from '../terminal-text.js';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  isTTY: boolean;
}


const LIST_COLUMNS: Column<CaptureSummary>[] = [
  { header: 'ID', value: (c) => String(c.id), align: 'right' },
  { header: 'PATH', value: (c) => c.path },
  { header: 'VERB', value: (c) => c.method },
  { header: 'STATUS', value: (c) => (c.status ? String(c.status) : ''), align: 'right' },
  { header: 'DESTINATION', value: (c) => c.destination },
];

const WIDE_COLUMNS: Column<CaptureSummary>[] = [
  ...LIST_COLUMNS,
  { header: 'TIME', value: (c) => c.capturedAt },
  { header: 'DURATION', value: (c) => (c.durationMs === null ? '' : `${Math.round(c.durationMs)}ms`), align: 'right' },
  { header: 'TAPCONFIG', value: (c) => c.tapConfig },
  { header: 'SOURCE', value: (c) => c.source },
];

const DEFAULT_LIST_LIMIT = '50';

/** `loopctl list`'s query parameters, named as its options are (commander's camelCase). */
const LIST_QUERY = ['status', 'method', 'path', 'destination', 'tapConfig', 'since', 'until', 'limit', 'cursor'] as const;

/**
 * The command that shows the next page: a cursor only says where the page ended, so the filters and the
 * page size it was read with go with it (without them it continues a different list).
 */
function nextPageCommand(o: Record<string, string | boolean | undefined>, cursor: string): string {
  const words = ['loopctl', 'list'];
  for (const param of LIST_QUERY) {
    const v = o[param];
    if (param === 'cursor' || typeof v !== 'string' || (param === 'limit' && v === DEFAULT_LIST_LIMIT)) continue;
    words.push(flagName(param), /^[\w./:@%+,=-]+$/.test(v) ? v : shellQuote(v));
  }
  if (o.output === 'wide') words.push('-o', 'wide');
  words.push('--cursor', cursor);
  return words.join(' ');
}

export function registerCommands(program: Command, io: CliIo): void {
  const ctx = (): { client: LoopClient; style: Style } => {
    const g = program.opts<GlobalOptions>();
    return { client: loopClientFor(program), style: g.color && io.isTTY ? colorStyle : plainStyle };
  };
  const out = (s: string): void => {
    io.stdout.write(s);
  };

  program.helpCommand(false);
  program
    .command('help [topic...]')
    .description('show help for a command, or `help match` for the match language')
    .action((topic: string[], _o: unknown, command: Command) => {
      if (topic.length > 1) throw unexpectedArguments(command, topic.slice(1), 'it takes one topic');
      const name = topic[0];
      if (name === 'match') return out(renderMatchHelpText());
      const cmd = name ? program.commands.find((c) => c.name() === name || c.aliases().includes(name)) : undefined;
      if (name && !cmd) throw new LoopError('BAD_REQUEST', `no help topic "${name}"; try: match, ${program.commands.map((c) => c.name()).join(', ')}`);
      out((cmd ?? program).helpInformation());
    });

  program
    .command('list')
    .description('list captured requests, newest first')
    .option('--status <status>', 'status class (5xx) or code (503)')
    .option('--method <verb>', 'HTTP method')
    .option('--path <prefix>', 'path prefix')
    .option('--destination <dest>', 'destination')
    .option('--tap-config <ns/name>', 'TapConfig that captured it (NAME alone is in namespace default)')
    .option('--since <time>', 'RFC 3339 time, or a duration ago (15m, 2h, 7d)')
    .option('--until <time>', 'RFC 3339 time, or a duration ago')
    .option('--limit <n>', 'page size (1-1000)', DEFAULT_LIST_LIMIT)
    .option('--cursor <cursor>', 'continue from a previous page')
    .option('--all', 'follow every page')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json']).default('table'))
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const { client } = ctx();
      const query = new URLSearchParams();
      for (const param of LIST_QUERY) {
        const v = o[param];
        if (typeof v === 'string') query.set(param, v);
      }
      // Captures name their TapConfig namespace/name; NAME alone means default/NAME, as elsewhere in loopctl.
      if (typeof o.tapConfig === 'string') {
        const ref = parseTapConfigRef(o.tapConfig);
        query.set('tapConfig', `${ref.namespace}/${ref.name}`);
      }
      const items: CaptureSummary[] = [];
      let next: string | undefined;
      do {
        if (next) query.set('cursor', next);
        const page = await client.json<{ items: CaptureSummary[]; nextCursor?: string }>('GET', `/v1/captures?${query}`);
        items.push(...page.items);
        next = page.nextCursor;
      } while (o.all && next);
      if (o.output === 'json') return out(jsonForTerminal({ items, ...(next ? { nextCursor: next } : {}) }) + '\n');
      out(renderTable(o.output === 'wide' ? WIDE_COLUMNS : LIST_COLUMNS, items));
      if (next) io.stderr.write(`more captures: ${escapeControls(nextPageCommand(o, next))} (or --all)\n`);
      // Request paths start with /: a prefix without one matches nothing a client sent.
      if (items.length === 0 && typeof o.path === 'string' && !o.path.startsWith('/')) io.stderr.write(`no captures; --path is a prefix of the request path, which starts with /: try --path /${o.path}\n`);
    });

  program
    .command('get <what> [name]')
    .description('show a capture (get 1), the TapConfigs (get tapconfigs [ns/name]) or a capture\'s replays (get replays 1)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'table', 'json', 'yaml']))
    .action(async (what: string, name: string | undefined, o: { output?: string }, cmd: Command) => {
      const { client, style } = ctx();
      // Each kind prints in some formats only: a capture has no table, a list of TapConfigs no text view.
      const formats = /^\d+$/.test(what) ? ['text', 'json', 'yaml'] : ['tapconfigs', 'tapconfig', 'tc'].includes(what) ? ['table', 'json', 'yaml'] : ['text', 'json'];
      if (o.output !== undefined && !formats.includes(o.output)) {
        throw new LoopError('BAD_REQUEST', `-o ${o.output} is not a format of get ${/^\d+$/.test(what) ? 'CAPTURE-ID' : what}; it prints ${formats.join(', ')}`);
      }
      if (/^\d+$/.test(what)) {
        if (name !== undefined) throw unexpectedArguments(cmd, [name], `get ${what} shows one capture`);
        const capture = await client.json<StoredCaptureJson>('GET', `/v1/captures/${what}`);
        return out(o.output === 'json' ? jsonForTerminal(capture) + '\n' : o.output === 'yaml' ? yamlForTerminal(await toYaml(capture)) : renderCapture(capture, style));
      }
      if (['tapconfigs', 'tapconfig', 'tc'].includes(what)) return getTapConfigs(client, name, o.output ?? 'table', out);
      if (what === 'replays' || what === 'replay') {
        if (!name || !/^\d+$/.test(name)) throw new LoopError('BAD_REQUEST', 'get replays needs a capture id: loopctl get replays 1');
        const { items } = await client.json<{ items: ReplayJson[] }>('GET', `/v1/captures/${name}/replays`);
        if (o.output === 'json') return out(jsonForTerminal(items) + '\n');
        if (items.length === 0) return out(`capture ${name} has not been replayed\n`);
        return out(items.map((r) => `#${r.id} ${r.createdAt}\n${renderReplay(r, style)}`).join('\n'));
      }
      throw new LoopError('BAD_REQUEST', `cannot get "${what}": expected a capture id, tapconfigs, or replays`);
    });

  program
    .command('replay')
    .description('send a captured request to a destination and show how the response differs')
    .requiredOption('--id <id>', 'capture id')
    .requiredOption('--destination <host:port>', 'where to send it (aliases configured on the server apply)')
    .option('-H, --header <name:value>', 'set a header on the replayed request, Host included (repeatable; not Content-Length or Transfer-Encoding)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--timeout <duration>', "how long to wait for the answer, up to 24h (e.g. 10s; a bare number is milliseconds; default: the server's --replay-timeout, 30s unless set)")
    .option('--allow-unsafe', 'replay a POST, PUT, PATCH or DELETE (or other state-changing method) too')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (o: { id: string; destination: string; header: string[]; timeout?: string; allowUnsafe?: boolean; output: string }) => {
      const { client, style } = ctx();
      if (!/^\d+$/.test(o.id)) throw new LoopError('BAD_REQUEST', `--id "${o.id}" is not a capture id (a positive integer)`);
      const headers: Record<string, string> = {};
      for (const h of o.header) {
        // `:path: /x` is name:value to the eye; the replay sends the captured method and path, so say that.
        if (h.startsWith(':')) throw new LoopError('BAD_REQUEST', `--header "${h}": pseudo-headers (:method, :path, :authority, :scheme) cannot be set; the captured method and path are sent, and -H 'Host: …' sets the authority`);
        const colon = h.indexOf(':');
        if (colon <= 0) throw new LoopError('BAD_REQUEST', `--header "${h}" is not name:value`);
        headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
      }
      let record: ReplayJson;
      try {
        record = await client.json<ReplayJson>('POST', `/v1/captures/${o.id}/replays`, {
          destination: o.destination,
          ...(o.header.length > 0 ? { headers } : {}),
          ...(o.timeout ? { timeout: o.timeout } : {}),
          ...(o.allowUnsafe ? { allowUnsafe: true } : {}),
        }, { timeoutMs: Infinity });
      } catch (err) {
        const replay = err instanceof LoopError ? ((err.details?.body as { replay?: ReplayJson } | undefined)?.replay) : undefined;
        if (!replay) throw err;
        out(o.output === 'json' ? jsonForTerminal(replay) + '\n' : renderReplay(replay, style));
        // The stored attempt keeps the error's message; what to do about it comes with the answer only.
        if (err instanceof LoopError && err.hint) io.stderr.write(escapeControls(`  hint: ${err.hint}`, 'lines') + '\n');
        throw new CommandExit(EXIT.FAILED);
      }
      out(o.output === 'json' ? jsonForTerminal(record) + '\n' : renderReplay(record, style));
    });

  program
    .command('apply')
    .description('create or update TapConfigs from a YAML file (one or many documents; all or nothing)')
    .requiredOption('-f, --filename <file>', 'YAML or JSON file, or - for standard input')
    .action(async (o: { filename: string }) => {
      const { client } = ctx();
      const text = o.filename === '-' ? await readStream(io.stdin) : await readFileOrFail(o.filename);
      // The server names problems after `source`: the file, as the user typed it.
      const source = new URLSearchParams({ source: o.filename === '-' ? '<stdin>' : o.filename });
      const res = await client.request('POST', `/v1/tapconfigs?${source}`, { body: text, contentType: 'application/yaml' });
      const { items } = (await res.json()) as { items: Array<{ key: string; action: string }> };
      for (const item of items) out(escapeControls(`tapconfig.loop.solo.io/${item.key} ${item.action}`) + '\n');
    });

  program
    .command('delete <what> [name]')
    .description('delete a capture (delete 1) or a TapConfig (delete tapconfig ns/name)')
    .action(async (what: string, name: string | undefined, _o: unknown, cmd: Command) => {
      const { client } = ctx();
      if (/^\d+$/.test(what) || (what === 'capture' && name && /^\d+$/.test(name))) {
        if (/^\d+$/.test(what) && name !== undefined) throw unexpectedArguments(cmd, [name], `delete ${what} deletes one capture (one id per command)`);
        const id = /^\d+$/.test(what) ? what : name!;
        await client.request('DELETE', `/v1/captures/${id}`);
        return out(`capture ${id} deleted\n`);
      }
      if (['tapconfig', 'tapconfigs', 'tc'].includes(what)) {
        const ref = parseTapConfigRef(name);
        await client.request('DELETE', `/v1/tapconfigs/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}`);
        return out(`tapconfig.loop.solo.io/${ref.namespace}/${ref.name} deleted\n`);
      }
      throw new LoopError('BAD_REQUEST', `cannot delete "${what}": expected a capture id or tapconfig NAMESPACE/NAME`);
    });

  program
    .command('export <id>')
    .description('export a capture as HAR 1.2, a curl command, or Envoy trace JSON')
    .addOption(new Option('--format <format>', 'export format').choices(['har', 'curl', 'envoy']).default('har'))
    .option('--destination <host:port>', 'for curl: send to this address instead of the original host')
    .action(async (id: string, o: { format: string; destination?: string }) => {
      const { client } = ctx();
      if (!/^\d+$/.test(id)) throw new LoopError('BAD_REQUEST', `"${id}" is not a capture id (a positive integer)`);
      if (o.destination !== undefined && o.format !== 'curl') throw new LoopError('BAD_REQUEST', `--destination applies to --format curl only; --format ${o.format} exports the capture as it was`);
      const q = new URLSearchParams({ format: o.format, ...(o.destination ? { destination: o.destination } : {}) });
      const res = await client.request('GET', `/v1/captures/${id}/export?${q}`);
      const text = await res.text();
      out(o.format === 'curl' ? escapeControls(text, 'lines') : jsonForTerminal(JSON.parse(text)) + '\n');
    });

  registerImportCommand(program, io);
  registerEnvoyConfigCommand(program, io);
}

async function getTapConfigs(client: LoopClient, name: string | undefined, output: string, out: (s: string) => void): Promise<void> {
  let items: StoredTapConfig[];
  if (name) {
    const ref = parseTapConfigRef(name);
    items = [await client.json<StoredTapConfig>('GET', `/v1/tapconfigs/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}`)];
  } else {
    items = (await client.json<{ items: StoredTapConfig[] }>('GET', '/v1/tapconfigs')).items;
  }
  if (output === 'json') return out(jsonForTerminal(name ? items[0] : { items }) + '\n');
  if (output === 'yaml') return out(yamlForTerminal((await Promise.all(items.map((c) => toYaml(c)))).join('---\n')));
  out(
    renderTable(
      [
        { header: 'NAMESPACE', value: (c: StoredTapConfig) => c.metadata.namespace },
        { header: 'NAME', value: (c) => c.metadata.name },
        { header: 'MATCH', value: (c) => c.spec.match.replace(/\s+/g, ' ') },
        { header: 'VERSION', value: (c) => c.metadata.resourceVersion, align: 'right' },
      ],
      items,
    ),
  );
}

async function readFileOrFail(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw fileReadError(file, err, '-f');
  }
}

async function readStream(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
