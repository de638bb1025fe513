// What squashctl prints and writes for the IDE once a plank is ready: the endpoint, and the attach
// configuration for VS Code (default), nvim-dap or JetBrains, optionally written into the workspace.
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LoopError, messageOf } from '../../core/errors.js';
import { formatDuration } from '../../core/options-schema.js';
import { jetbrainsRunConfiguration, mergeLaunchConfiguration, nvimDapSnippet, vscodeLaunchConfiguration, type IdeOptions } from '../ide/index.js';
import type { PlankReadyEvent } from '../plank/index.js';
import type { DebugEndpoint } from '../squash-types.js';

export const IDE_NAMES = ['vscode', 'nvim', 'jetbrains'] as const;
export type IdeName = (typeof IDE_NAMES)[number];

/** The configuration as text to paste, with a line saying where it goes (and, unless `written`, that --write would put it there). */
export function renderIdeConfig(ide: IdeName, endpoint: DebugEndpoint, options: IdeOptions, written = false): { where: string; text: string } {
  const orWrite = written ? '' : ' (or use --write)';
  switch (ide) {
    case 'vscode':
      return { where: `VS Code: add to "configurations" in .vscode/launch.json${orWrite}`, text: `${JSON.stringify(vscodeLaunchConfiguration(endpoint, options), null, 2)}\n` };
    case 'nvim':
      return { where: 'nvim-dap: run this Lua (e.g. :luafile), then :DapContinue', text: nvimDapSnippet(endpoint, options).replace(/\n?$/, '\n') };
    case 'jetbrains': {
      const rc = jetbrainsRunConfiguration(endpoint, options);
      if (!rc.supported) return { where: 'JetBrains: no run configuration for this endpoint', text: `${rc.reason}\n` };
      return { where: `JetBrains: save as ${rc.path} in the project${orWrite}`, text: rc.xml };
    }
  }
}

export interface WrittenConfig {
  path: string;
  /** What happened to the file, for the user. */
  summary: string;
}

/**
 * Writes the configuration into `workspace`: merged into .vscode/launch.json (other configurations kept;
 * one of the same name replaced), or the JetBrains `.run/*.run.xml` file. nvim has no file to write.
 */
export async function writeIdeConfig(ide: IdeName, endpoint: DebugEndpoint, options: IdeOptions, workspace: string): Promise<WrittenConfig> {
  if (ide === 'vscode') {
    const path = join(workspace, '.vscode', 'launch.json');
    const existing = await readLaunchJson(path);
    const configuration = vscodeLaunchConfiguration(endpoint, options);
    const merged = mergeLaunchConfiguration(existing, configuration, path);
    await writeAtomically(path, merged.text);
    const note = merged.droppedComments ? ' (its comments were not kept: the file is rewritten as plain JSON)' : '';
    return { path, summary: `${merged.action === 'added' ? 'added' : 'replaced'} configuration "${configuration.name}" in ${path}${note}` };
  }
  if (ide === 'jetbrains') {
    const rc = jetbrainsRunConfiguration(endpoint, options);
    if (!rc.supported) throw new LoopError('BAD_REQUEST', rc.reason);
    const path = join(workspace, rc.path);
    await writeAtomically(path, rc.xml);
    return { path, summary: `wrote ${path}` };
  }
  throw new LoopError('BAD_REQUEST', '--write supports --ide vscode and --ide jetbrains; nvim-dap has no project file: paste the printed Lua');
}

/**
 * Refuses, before anything attaches, a --write that cannot succeed: a workspace that is not a directory, or
 * a launch.json that cannot be read or merged into. Found only after the attach, such a failure left the
 * plank holding the target behind a usage error. Throws CONFIG_INVALID.
 */
export async function checkIdeWrite(ide: IdeName, workspace: string): Promise<void> {
  const st = await stat(workspace).catch(() => undefined);
  if (st && !st.isDirectory()) {
    throw new LoopError('CONFIG_INVALID', `--workspace ${workspace}: is not a directory`, { hint: 'name the project directory --write writes into (default: the current directory)' });
  }
  if (ide !== 'vscode') return;
  const path = join(workspace, '.vscode', 'launch.json');
  mergeLaunchConfiguration(await readLaunchJson(path), { name: 'Squash', type: 'node', request: 'attach' }, path);
}

async function readLaunchJson(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new LoopError('CONFIG_INVALID', `cannot read ${path}: ${messageOf(err)}`, { cause: err });
  });
}

/** The human summary of a ready plank. */
export function describeReady(ready: PlankReadyEvent, targetCommand: string): string {
  const { endpoint, plank } = ready;
  return [
    `Attached ${endpoint.debugger} to process ${endpoint.pid} (${endpoint.runtime}: ${targetCommand})`,
    `  endpoint  ${endpoint.host}:${endpoint.port} (${endpoint.protocol})${endpoint.websocketUrl ? `  ${endpoint.websocketUrl}` : ''}`,
    `  plank     pid ${plank.pid}, lets go at ${plank.expiresAt} (TTL ${formatDuration(plank.ttlMs)}); end it sooner with: squashctl cleanup`,
    // The gdb plank attaches gdbserver per client connection (gdbserver stops its tracee while attached).
    ...(endpoint.debugger === 'gdb'
      ? [`  attach    gdbserver attaches when your debugger connects; the process runs until then (one client at a time)`]
      : []),
    '',
  ].join('\n');
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
