#!/usr/bin/env node
// loopctl: the command line over the loop server's API — list, inspect, replay, export captures, and
// manage TapConfigs. Entry point only: parsing and wiring; the commands live in commands.ts.
import { Command, Option } from 'commander';
import { packageVersion } from '../../core/version.js';
import { EXIT, exitAfterFlush, outcomeOf } from '../cli-support.js';
import { registerCommands } from './commands.js';

export const DEFAULT_SERVER = 'http://localhost:5678';

const program = new Command('loopctl')
  .description('Loop: list, inspect, replay and export captured requests; manage TapConfigs.')
  .version(packageVersion())
  .addOption(new Option('-s, --server <url>', 'loop server address').env('LOOP_SERVER').default(DEFAULT_SERVER))
  .option('--no-color', 'plain output even on a terminal')
  .showHelpAfterError('(add --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str) })
  .exitOverride();

registerCommands(program, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, isTTY: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR });

program.parseAsync(process.argv).then(
  () => exitAfterFlush(EXIT.OK),
  (err: unknown) => {
    const { exitCode, stderr } = outcomeOf('loopctl', err);
    process.stderr.write(stderr);
    exitAfterFlush(exitCode);
  },
);
