// squashctl's attach options: plank's target and attach options plus what the IDE output needs.
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
