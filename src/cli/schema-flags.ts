// Turns an options schema (src/core/options-schema.ts) into commander flags, and commander's parsed
// flags back into a layer for resolveOptions — so every command's --help comes from its schema.
import { Option, type Command } from 'commander';
import { describeOptions, type OptionsSchema } from '../core/options-schema.js';

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
 * The flags the user gave, as raw values for resolveOptions. Repeated list flags arrive as arrays of
 * strings; for list options each may also hold commas (`--redact-headers a,b --redact-headers c`).
 */
export function flagValues(schema: OptionsSchema, flags: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flags)) {
    if (!(key in schema)) continue;
    const isList = Array.isArray(schema[key]!.default);
    out[key] = Array.isArray(value) && isList ? value.flatMap((s: string) => s.split(',')) : value;
  }
  return out;
}
