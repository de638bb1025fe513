// What the long-running `loop` subcommands share: flags generated from the options schema (so --help
// comes from it), a `--config` file, both resolved in layers (defaults < config file < flags), and
// running until SIGINT/SIGTERM — or until the parent that spawned us goes away.
import { Option, type Command } from 'commander';
import { describeOptions, resolveOptions, type OptionsLayer, type OptionsOf, type OptionsSchema } from '../core/options-schema.js';
import { exitWithParent } from '../core/spawn-server.js';
import { readConfigFile } from './cli-support.js';

/** Adds one flag per schema option; repeatable options collect every occurrence. */
export function addSchemaOptions(command: Command, schema: OptionsSchema): Command {
  for (const { key, flags, description } of describeOptions(schema)) {
    const option = new Option(flags, description);
    if (schema[key]!.repeatable) option.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    command.addOption(option);
  }
  return command;
}

/**
 * The flags the user gave, as raw values for resolveOptions. Repeated flags arrive as arrays of strings;
 * for comma-separated options each may also hold commas (`--redact-headers a,b --redact-headers c`).
 */
export function flagValues(schema: OptionsSchema, flags: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flags)) {
    if (!(key in schema)) continue;
    out[key] = Array.isArray(value) && schema[key]!.commaSeparated ? value.flatMap((s: string) => s.split(',')) : value;
  }
  return out;
}


/** Adds `-c, --config <file>` and one flag per schema option. */
export function addConfigAndSchemaOptions(command: Command, schema: OptionsSchema): Command {
  command.option('-c, --config <file>', 'YAML config file with the options below (flags win over it)');
  return addSchemaOptions(command, schema);
}

/** Resolves a command's options from its `--config` file, if one was named, and its flags. */
export async function resolveCommandOptions<S extends OptionsSchema>(schema: S, flags: Record<string, unknown>): Promise<OptionsOf<S>> {
  const layers: OptionsLayer[] = [];
  if (typeof flags.config === 'string') layers.push({ source: flags.config, values: await readConfigFile(flags.config) });
  layers.push({ source: 'flags', values: flagValues(schema, flags) });
  return resolveOptions(schema, layers);
}

/** Resolves once SIGINT or SIGTERM arrived and `close` has settled. */
export function runUntilSignal(close: () => Promise<void>, onSignal: (signal: string) => void = () => {}): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      onSignal(signal);
      close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    exitWithParent(process.env, () => stop('parent gone'));
  });
}
