// Adds one Squash configuration to an existing `.vscode/launch.json`: a configuration with the same name
// is replaced in place, every other configuration and top-level field (version, compounds, …) is kept.
//
// The file is written back as formatted JSON, so comments in the original are NOT preserved (trailing
// commas are normalised too); `droppedComments` tells the caller so it can say so. Keeping comments would
// need a concrete-syntax-tree editor; a text splice of one array element is not worth its edge cases.
import { LoopError } from '../../core/errors.js';
import { parseJsonc } from './jsonc-parse.js';
import type { VsCodeLaunchConfiguration } from './vscode-launch-config.js';

export interface LaunchJsonMergeResult {
  /** The new file content, ending in a newline. */
  text: string;
  /** `replaced`: a configuration of the same name was overwritten; `added`: appended. */
  action: 'added' | 'replaced';
  /** True when the original had comments, which the rewrite lost. */
  droppedComments: boolean;
}

const LAUNCH_JSON_VERSION = '0.2.0';

/**
 * Merges `configuration` into launch.json text; `existing` may be empty or undefined (no file yet).
 * Indentation follows the original (tabs, as VS Code writes, or its leading spaces); new files use tabs.
 */
export function mergeLaunchConfiguration(
  existing: string | undefined,
  configuration: VsCodeLaunchConfiguration,
  what = '.vscode/launch.json',
): LaunchJsonMergeResult {
  const blank = existing === undefined || existing.trim() === '';
  const { value, hadComments } = blank
    ? { value: { version: LAUNCH_JSON_VERSION, configurations: [] } as unknown, hadComments: false }
    : parseJsonc(existing, what);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LoopError('CONFIG_INVALID', `${what} must hold a JSON object at the top level`);
  }
  const root = value as Record<string, unknown>;
  const current = root.configurations ?? [];
  if (!Array.isArray(current)) {
    throw new LoopError('CONFIG_INVALID', `${what}: "configurations" is ${typeof current}; expected an array`);
  }
  const index = current.findIndex(
    (entry) => typeof entry === 'object' && entry !== null && (entry as { name?: unknown }).name === configuration.name,
  );
  const configurations = [...current];
  if (index === -1) configurations.push(configuration);
  else configurations[index] = configuration;
  // Keep the key order of the original; add the fields a launch.json needs when they were missing.
  const merged: Record<string, unknown> = 'version' in root ? {} : { version: LAUNCH_JSON_VERSION };
  for (const [key, field] of Object.entries(root)) merged[key] = key === 'configurations' ? configurations : field;
  if (!('configurations' in root)) merged.configurations = configurations;
  return {
    text: `${JSON.stringify(merged, null, blank ? '\t' : indentOf(existing))}\n`,
    action: index === -1 ? 'added' : 'replaced',
    droppedComments: hadComments,
  };
}

function indentOf(text: string): string {
  const match = /\n([ \t]+)\S/.exec(text);
  if (!match) return '\t';
  const indent = match[1]!;
  return indent.startsWith('\t') ? '\t' : ' '.repeat(Math.min(indent.length, 8));
}
