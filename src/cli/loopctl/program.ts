// The loopctl program with its global options and commands, for main.ts and in-process tests.
import type { Command } from 'commander';
import { cliProgram, refuseExcessArguments } from '../cli-support.js';
import { registerCommands, type CliIo } from './commands.js';
import { addGlobalOptions } from './global-options.js';

export function createLoopctlProgram(io: CliIo): Command {
  const program = cliProgram('loopctl', 'Loop: list, inspect, replay and export captured requests; manage TapConfigs.');
  addGlobalOptions(program);
  registerCommands(program, io);
  return refuseExcessArguments(program);
}
