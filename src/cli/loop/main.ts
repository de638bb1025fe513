#!/usr/bin/env node
// `loop`: runs Loop's servers. `loop serve` is the loop server (ingest, store, query, replay, TapConfigs).
import { Command, Option } from 'commander';
import { createLogger } from '../../core/logger.js';
import { packageVersion } from '../../core/version.js';
import { describeOptions, resolveOptions, type OptionsLayer } from '../../core/options-schema.js';
import { serverOptionsSchema } from '../../loop/server/server-options.js';
import { startLoopServer } from '../../loop/server/start-loop-server.js';
import { EXIT, exitCodeFor, formatCliError, readConfigFile } from '../cli-support.js';

const program = new Command('loop')
  .description('Loop: capture failing requests, store them, replay them anywhere.')
  .version(packageVersion())
  .showHelpAfterError();

const serve = program
  .command('serve')
  .description('run the loop server: tap ingest, capture store, query and replay API, TapConfig registry')
  .option('-c, --config <file>', 'YAML config file with the options below (flags win over it)');
for (const { key, flags, description } of describeOptions(serverOptionsSchema)) {
  const option = new Option(flags, description);
  if (serverOptionsSchema[key as keyof typeof serverOptionsSchema].repeatable) option.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  serve.addOption(option);
}
serve.action(async (flags: Record<string, unknown>) => {
  const { config, ...rest } = flags;
  const layers: OptionsLayer[] = [];
  if (typeof config === 'string') layers.push({ source: config, values: await readConfigFile(config) });
  // Repeated list flags arrive as arrays of raw strings; lists also accept commas inside each.
  const values = Object.fromEntries(
    Object.entries(rest).map(([k, v]) => [k, Array.isArray(v) && k !== 'alias' ? v.flatMap((s: string) => s.split(',')) : v]),
  );
  layers.push({ source: 'flags', values });
  const options = resolveOptions(serverOptionsSchema, layers);
  const logger = createLogger({ level: options.logLevel });
  const running = await startLoopServer(options, logger);
  process.stdout.write(`loop server listening on ${running.url} (store: ${running.store.kind})\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      logger.info('shutting down');
      running.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
});

program.parseAsync(process.argv).then(
  () => process.exit(EXIT.OK),
  (err: unknown) => {
    process.stderr.write(formatCliError('loop', err));
    process.exit(exitCodeFor(err));
  },
);
