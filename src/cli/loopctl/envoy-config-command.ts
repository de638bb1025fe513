// `loopctl envoy-config -f tap.yaml`: prints the Envoy tap filter (envoy.filters.http.tap) for the TapConfigs
// in a file — or, with --tap-request, the admin POST /tap body — as YAML or JSON. Works offline: it reads
// the same file `loopctl apply -f` sends, and needs no loop server.
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { isLoopError, LoopError } from '../../core/errors.js';
import { buildEnvoyAdminTapRequest, buildEnvoyTapFilter, ENVOY_TAP_FORMATS } from '../../loop/envoy/envoy-tap-config.js';
import { fileReadError, toYaml } from '../cli-support.js';
import type { CliIo } from './commands.js';

interface EnvoyConfigFlags {
  filename: string;
  sink: string;
  pathPrefix?: string;
  format?: string;
  configId?: string;
  recordUpstreamConnection?: boolean;
  tapRequest?: boolean;
  output: 'yaml' | 'json';
}

export function registerEnvoyConfigCommand(program: Command, io: CliIo): void {
  program
    .command('envoy-config')
    .description('print the Envoy tap filter (envoy.filters.http.tap) for the TapConfigs in a file, or with --tap-request the admin POST /tap body')
    .requiredOption('-f, --filename <file>', 'TapConfig YAML or JSON file, or - for standard input')
    .option('--sink <sink>', 'admin: the filter takes its match from POST /tap (loop serve --envoy-admin); file: taps go to file_per_tap files', 'admin')
    .option('--path-prefix <prefix>', 'file sink: path prefix of the files Envoy writes (<prefix>_<id>.json)')
    .option('--format <format>', `file sink: ${ENVOY_TAP_FORMATS.join(', ')} (default JSON_BODY_AS_BYTES); --tap-request: the JSON ones`)
    .option('--config-id <id>', 'admin sink: admin_config.config_id, the same as loop serve --envoy-tap-config-id (default loop)')
    .option('--record-upstream-connection', 'also record the upstream address (the capture destination); the field needs Envoy 1.36 or later')
    .option('--tap-request', 'print the body loop serve POSTs to /tap for these TapConfigs (for trying the filter with curl)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action(async (o: EnvoyConfigFlags) => {
      const text = o.filename === '-' ? await readStdin(io) : await readTapConfigFile(o.filename);
      // The TapConfig loader (and the yaml package under it) is loaded here, not when loopctl starts.
      const { loadTapConfigs } = await import('../../tapconfig/index.js');
      let configs;
      try {
        configs = loadTapConfigs(text, o.filename === '-' ? '<stdin>' : o.filename);
      } catch (err) {
        // The loader's hint speaks of applying; this command applies nothing.
        if (isLoopError(err, 'TAPCONFIG_INVALID')) throw new LoopError(err.code, err.message, { cause: err, hint: 'fix every listed problem ("loopctl help match" describes spec.match)', ...(err.details ? { details: err.details } : {}) });
        throw err;
      }
      let config: unknown;
      if (o.tapRequest) {
        if (o.sink !== 'admin' || o.pathPrefix !== undefined) throw new LoopError('BAD_REQUEST', '--tap-request is the admin sink\'s POST /tap body; drop --sink/--path-prefix');
        // record_upstream_connection is a field of the filter, not of the POST /tap body: it would do nothing here.
        if (o.recordUpstreamConnection) throw new LoopError('BAD_REQUEST', '--record-upstream-connection sets a field of the tap filter, which the POST /tap body has no place for; print the filter (drop --tap-request) with it');
        config = buildEnvoyAdminTapRequest(configs, { ...(o.configId !== undefined ? { configId: o.configId } : {}), ...(o.format !== undefined ? { format: o.format } : {}) });
      } else {
        const generated = buildEnvoyTapFilter(configs, {
          sink: o.sink,
          ...(o.pathPrefix !== undefined ? { pathPrefix: o.pathPrefix } : {}),
          ...(o.format !== undefined ? { format: o.format } : {}),
          ...(o.configId !== undefined ? { configId: o.configId } : {}),
          ...(o.recordUpstreamConnection ? { recordUpstreamConnection: true } : {}),
        });
        for (const w of generated.warnings) io.stderr.write(`warning: ${w}\n`);
        config = generated.config;
      }
      // Quoted strings: header names such as :status are valid plain YAML, but quoting leaves no parser in doubt.
      io.stdout.write(o.output === 'json' ? JSON.stringify(config, null, 2) + '\n' : await toYaml(config, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' }));
    });
}

async function readTapConfigFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw fileReadError(file, err, '-f');
  }
}

async function readStdin(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
