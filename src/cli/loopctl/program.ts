// The loopctl program with its global options and commands, for main.ts and in-process tests.
import { Command } from 'commander';
import { packageVersion } from '../../core/version.js';
import { refuseExcessArguments } from '../cli-support.js';
import { registerCommands, type CliIo } from './commands.js';
import { addGlobalOptions } from './global-options.js';

export function createLoopctlProgram(io: CliIo): Command {
  const program = new Command('loopctl')
    .description('Loop: list, inspect, replay and export captured requests; manage TapConfigs.')
    .version(packageVersion())
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) })
    .exitOverride();
  addGlobalOptions(program);
  registerCommands(program, io);
  return refuseExcessArguments(program);
}
