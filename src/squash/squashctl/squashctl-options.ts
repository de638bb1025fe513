// squashctl's attach options: plank's target and attach options plus what the IDE output needs.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LoopError } from '../../core/errors.js';
import { fileErrorText } from '../../core/file-error-text.js';
import { opt, type OptionsOf } from '../../core/options-schema.js';
import { attachOptionsSchema } from '../plank/index.js';
import { IDE_NAMES } from './ide-output.js';

export const squashctlOptionsSchema = {
  ...attachOptionsSchema,
  ide: opt.enumOf({ description: 'IDE whose attach configuration is printed (and written with --write)', default: 'vscode', values: IDE_NAMES }),
  workspace: opt.string({ description: 'project directory --write writes into', default: '', valueName: 'dir', showDefault: 'the current directory' }),
  program: opt.string({
    description: "C targets: the local binary with debug info that gdb loads symbols from",
    default: '',
    valueName: 'path',
    showDefault: "the target's executable",
  }),
};

export type SquashctlOptions = OptionsOf<typeof squashctlOptionsSchema>;

/**
 * `--program` resolved against `cwd`, once it is known to be a regular file (gdb and the IDE load symbols
 * from it; a typo would only show up as a debugger without symbols). Undefined when not given. Throws
 * CONFIG_INVALID, before anything is attached.
 */
export async function checkProgram(program: string, cwd: string): Promise<string | undefined> {
  if (program === '') return undefined;
  const path = resolve(cwd, program);
  const hint = 'pass the local copy of the target binary, built with debug info (-g), e.g. --program ./server';
  const st = await stat(path).catch((err: unknown) => {
    throw new LoopError('CONFIG_INVALID', `--program ${program}: ${fileErrorText(err)}${path !== program ? ` (${path})` : ''}`, { cause: err, hint });
  });
  if (!st.isFile()) {
    throw new LoopError('CONFIG_INVALID', `--program ${program}: ${st.isDirectory() ? 'is a directory' : 'is not a regular file'}, expected the target's binary`, { hint });
  }
  return path;
}
